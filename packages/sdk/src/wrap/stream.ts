/** Receives a stream's chunks and its end, once. */
export interface StreamObserver {
  onChunk(chunk: unknown): void;
  /** `done`: consumed to the end; `abandoned`: the consumer stopped early (`break`); `error`: it threw. */
  onEnd(outcome: 'done' | 'abandoned' | 'error', error?: unknown): void;
}

type AnyIterator = AsyncIterator<unknown> & {
  return?: (v?: unknown) => Promise<IteratorResult<unknown>>;
};

/** Wraps an async iterator so the observer sees every chunk and exactly one end. */
export function observeIterator(
  inner: AnyIterator,
  observer: StreamObserver,
): AsyncIterableIterator<unknown> {
  let ended = false;
  const end = (outcome: 'done' | 'abandoned' | 'error', error?: unknown): void => {
    if (ended) return;
    ended = true;
    try {
      observer.onEnd(outcome, error);
    } catch {
      // Never break the consumer.
    }
  };
  return {
    next(...args: [] | [unknown]) {
      return inner.next(...args).then(
        (result) => {
          if (result.done) end('done');
          else if (!ended) {
            try {
              observer.onChunk(result.value);
            } catch {
              // A chunk we cannot read is still the caller's chunk.
            }
          }
          return result;
        },
        (error: unknown) => {
          end('error', error);
          throw error;
        },
      );
    },
    return(value?: unknown) {
      end('abandoned');
      return typeof inner.return === 'function'
        ? inner.return(value)
        : Promise.resolve({ done: true as const, value });
    },
    throw(error?: unknown) {
      end('error', error);
      return typeof inner.throw === 'function' ? inner.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Makes a provider stream report to `observer` while staying the very same object for the
 * caller. The OpenAI and Anthropic `Stream` classes read their chunks through an own
 * `iterator` function that `[Symbol.asyncIterator]`, `tee()` and `toReadableStream()` all
 * use; replacing that one property on this call's stream instance observes every way of
 * consuming it and keeps `controller`, `instanceof` and private fields intact. Any other
 * async iterable is wrapped in a `Proxy` that overrides only `[Symbol.asyncIterator]`.
 */
export function observeStream<S>(stream: S, observer: StreamObserver): S {
  if (stream === null || typeof stream !== 'object') {
    observer.onEnd('done');
    return stream;
  }
  const s = stream as Record<PropertyKey, unknown>;
  const own = Object.getOwnPropertyDescriptor(s, 'iterator');
  if (own !== undefined && typeof own.value === 'function' && own.writable === true) {
    const original = own.value as (...args: unknown[]) => AnyIterator;
    s.iterator = function observedIterator(this: unknown, ...args: unknown[]) {
      return observeIterator(original.apply(this, args), observer);
    };
    return stream;
  }
  const iterate = s[Symbol.asyncIterator];
  if (typeof iterate !== 'function') {
    observer.onEnd('done');
    return stream;
  }
  return new Proxy(s, {
    get(target, prop) {
      if (prop === Symbol.asyncIterator) {
        return () => observeIterator((iterate as () => AnyIterator).call(target), observer);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  }) as S;
}
