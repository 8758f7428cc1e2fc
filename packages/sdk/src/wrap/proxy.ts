/**
 * A recursive `Proxy` that traces chosen methods of a client without touching its module
 * or its prototype: `wrapOpenAI(client)` returns a view of the same client whose
 * `chat.completions.create` (and the other listed paths) start a span around the call.
 */

/** Traces one call: receives the original method, its receiver and arguments, returns its result. */
export type MethodTracer = (
  original: (...args: unknown[]) => unknown,
  thisArg: unknown,
  args: unknown[],
) => unknown;

interface Node {
  tracer?: MethodTracer;
  children: Map<PropertyKey, Node>;
}

const wrapped = new WeakSet<object>();

function buildTrie(methods: Record<string, MethodTracer>): Node {
  const root: Node = { children: new Map() };
  for (const [path, tracer] of Object.entries(methods)) {
    let node = root;
    for (const key of path.split('.')) {
      let next = node.children.get(key);
      if (next === undefined) {
        next = { children: new Map() };
        node.children.set(key, next);
      }
      node = next;
    }
    node.tracer = tracer;
  }
  return root;
}

function proxify<T extends object>(target: T, node: Node, isRoot: boolean): T {
  const cache = new Map<PropertyKey, { source: unknown; value: unknown }>();
  const proxy = new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      const child = node.children.get(prop);
      const hit = cache.get(prop);
      if (hit !== undefined && hit.source === value) return hit.value;
      let out = value;
      if (child !== undefined && child.tracer !== undefined && typeof value === 'function') {
        const original = value as (...args: unknown[]) => unknown;
        const tracer = child.tracer;
        out = function traced(this: unknown, ...args: unknown[]): unknown {
          return tracer(original, this, args);
        };
      } else if (
        child !== undefined &&
        child.children.size > 0 &&
        value !== null &&
        typeof value === 'object'
      ) {
        out = proxify(value, child, false);
      } else if (isRoot && typeof value === 'function') {
        // Client-level methods use private fields: call them on the real client.
        out = (value as (...args: unknown[]) => unknown).bind(obj);
      } else {
        return value;
      }
      cache.set(prop, { source: value, value: out });
      return out;
    },
  });
  wrapped.add(proxy);
  return proxy;
}

/**
 * Returns a traced view of `client`: every path in `methods` (e.g. `chat.completions.create`)
 * is traced, everything else behaves as on the client itself. Wrapping a wrapped client
 * returns it unchanged.
 */
export function createTracedProxy<T extends object>(
  client: T,
  methods: Record<string, MethodTracer>,
): T {
  if (wrapped.has(client)) return client;
  return proxify(client, buildTrie(methods), true);
}

/** What to do when a traced call settles. */
export interface SettleHandlers {
  /** Receives the resolved value; returns what the caller gets (the same value, or a traced stream). */
  onValue(value: unknown): unknown;
  onError(error: unknown): void;
  /** The caller took the raw HTTP response (`asResponse()`); the body is theirs. */
  onRawResponse?(response: unknown): void;
}

const noop = (): void => undefined;

/**
 * The `Proxy` handler over one call's promise: a class, so observing a call allocates one
 * object and the two settle callbacks rather than a closure per trap and helper.
 */
class PromiseObserver {
  private observed: Promise<unknown> | undefined;

  constructor(
    private readonly thenable: PromiseLike<unknown> & Record<PropertyKey, unknown>,
    private readonly handlers: SettleHandlers,
  ) {}

  /**
   * The observed promise, made once. `chained` says the caller attaches its handlers to it at
   * once (`then`/`catch`/`finally`), so its rejection is handled there; otherwise (e.g.
   * `withResponse()`) a no-op handler keeps an unobserved rejection from being reported.
   */
  settle(chained: boolean): Promise<unknown> {
    let observed = this.observed;
    if (observed === undefined) {
      const handlers = this.handlers;
      observed = Promise.resolve(
        this.thenable.then(
          (value) => handlers.onValue(value),
          (error: unknown) => {
            handlers.onError(error);
            throw error;
          },
        ),
      );
      this.observed = observed;
      if (!chained) observed.catch(noop);
    }
    return observed;
  }

  get(target: PromiseLike<unknown> & Record<PropertyKey, unknown>, prop: PropertyKey): unknown {
    switch (prop) {
      case 'then':
        return (onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) =>
          this.settle(true).then(onFulfilled, onRejected);
      case 'catch':
        return (onRejected?: (e: unknown) => unknown) => this.settle(true).catch(onRejected);
      case 'finally':
        return (onFinally?: () => void) => this.settle(true).finally(onFinally);
      case 'withResponse': {
        const original = target.withResponse;
        if (typeof original !== 'function') return original;
        return () => {
          const data = this.settle(false);
          return (original.call(target) as Promise<Record<string, unknown>>).then(async (r) => ({
            ...r,
            data: await data,
          }));
        };
      }
      case 'asResponse': {
        const original = target.asResponse;
        if (typeof original !== 'function') return original;
        return () => {
          const response = original.call(target) as Promise<unknown>;
          if (this.observed === undefined) {
            response.then(
              (r) => this.handlers.onRawResponse?.(r),
              (e: unknown) => this.handlers.onError(e),
            );
          }
          return response;
        };
      }
      default: {
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      }
    }
  }
}

/**
 * Observes a call's result. A promise — including the provider clients' `APIPromise`, whose
 * `.withResponse()`/`.asResponse()` must keep working and whose body is parsed only when
 * someone awaits it — is returned as a `Proxy` over the very same promise: observing starts
 * when the caller awaits (or calls `withResponse()`), so nothing is parsed that the caller
 * did not ask for, and the caller receives the same value or the same rejection object.
 */
export function observeResult(result: unknown, handlers: SettleHandlers): unknown {
  if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
    return handlers.onValue(result);
  }
  const thenable = result as PromiseLike<unknown> & Record<PropertyKey, unknown>;
  if (typeof thenable.then !== 'function') return handlers.onValue(result);
  return new Proxy(thenable, new PromiseObserver(thenable, handlers));
}
