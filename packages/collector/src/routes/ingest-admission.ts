/**
 * Admission control of the ingest route: whether a request is taken in or refused (503
 * with `Retry-After`), decided on its headers, before its body is read.
 *
 * The bound that holds a latency target on any machine is a time: the work already
 * queued ahead of a new request (spans waiting to be committed, plus the spans in the
 * bodies waiting to be parsed, from the bytes per span seen so far) divided by the rate at
 * which the collector stores spans while it has work, measured as it runs. Counts (spans,
 * bytes) stay as hard caps, for memory.
 */

/**
 * Spans decoded but not yet committed above which new requests are refused: a hard cap
 * for memory; the wait bound ({@link DEFAULT_MAX_WAIT_MS}) usually refuses first.
 */
export const DEFAULT_MAX_PENDING_SPANS = 5_000;
/**
 * Request bytes admitted but not yet decoded (Content-Length, else the bytes read) above
 * which new requests are refused: bounds the parsing queue. A single larger body is still
 * admitted when nothing else is pending.
 */
export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;
/**
 * Expected wait (ms) for the work queued ahead of a new request above which it is
 * refused: a tenth of a second still lines up enough work that the writer never idles
 * (a group commit takes tens of milliseconds), and under overload accepted requests keep
 * a short latency. Measured with 300 connections on 2 shared cores: p99 ~0.27 s at 100 ms
 * against ~0.67 s at 250 ms, at the same spans/s.
 */
export const DEFAULT_MAX_WAIT_MS = 100;
/** `Retry-After` bounds (s): at least 1 (the header's unit), at most this. */
const MIN_RETRY_AFTER_SEC = 1;
const MAX_RETRY_AFTER_SEC = 30;
/**
 * Busy time (ms: spans were waiting for a commit) per sample of the commit rate: several
 * group commits, so one sample is not one commit's lump.
 */
const RATE_SAMPLE_MS = 200;
/**
 * Mean queue (spans) over a sample above which the collector, not its clients, set the
 * pace: several batches lined up. Only such samples may lower the measured rate.
 */
const SATURATED_QUEUE_SPANS = 500;
/** Weight of a new sample in the commit rate's moving average. */
const RATE_SAMPLE_WEIGHT = 0.3;
/** Weight of a new request in the bytes-per-span moving average. */
const BYTES_PER_SPAN_WEIGHT = 0.05;

/** Options of {@link createIngestAdmission}. */
export interface IngestAdmissionLimits {
  /** Hard cap on spans decoded but not yet committed (`Infinity`: none). */
  maxPendingSpans: number;
  /** Hard cap on request bytes admitted but not yet decoded (`Infinity`: none). */
  maxPendingBytes: number;
  /** Target wait for the work queued ahead of a new request, ms (`Infinity`: no time bound). */
  maxWaitMs: number;
  /** Milliseconds clock (default `performance.now`); tests drive it by hand. */
  now?: () => number;
}

/** Why and for how long a request is refused. */
export interface Refusal {
  /** Seconds the client should wait: the backlog's expected drain time, 1–30. */
  retryAfterSec: number;
  /** For people: what is queued and why that is too much. */
  message: string;
}

/** The route's side of admission control. */
export interface IngestAdmission {
  /** Spans decoded but not yet committed (the queue-depth gauge reads this). */
  readonly pendingSpans: number;
  /** Request bytes admitted but not yet decoded. */
  readonly pendingBytes: number;
  /** Spans committed per second of busy time (moving average), or null before the first sample. */
  readonly commitRate: number | null;
  /** Null to admit a request declaring `bytes` (0: unknown), else why it is refused. */
  check(bytes: number): Refusal | null;
  /** An admitted request's bytes wait to be parsed (call once its size is known). */
  holdBytes(bytes: number): void;
  /** Its body is decoded: `bytes` leave the parsing queue; `spans` were in them. */
  parsed(bytes: number, spans: number): void;
  /** `spans` were handed to the store. */
  submitted(spans: number): void;
  /** The store answered for `spans` submitted ones: committed, or failed. */
  settled(spans: number, committed: boolean): void;
}

/**
 * Admission control for one ingest route.
 *
 * @example
 * const admission = createIngestAdmission({ maxPendingSpans: 5000, maxPendingBytes: 8 << 20, maxWaitMs: 100 });
 * const refusal = admission.check(Number(req.headers['content-length']) || 0);
 * if (refusal !== null) return res(503, { 'retry-after': String(refusal.retryAfterSec) });
 */
export function createIngestAdmission(limits: IngestAdmissionLimits): IngestAdmission {
  const now = limits.now ?? (() => performance.now());
  const { maxPendingSpans, maxPendingBytes, maxWaitMs } = limits;
  let pendingSpans = 0;
  let pendingBytes = 0;
  let bytesPerSpan: number | null = null;
  let rate: number | null = null;
  // The rate is the whole pipeline's (parsing and writing) while it has work: spans
  // committed per second of the time during which anything was queued. The sample being
  // measured: that busy time, the spans committed in it, and the time-integral of the
  // queue (spans × ms), whose mean says whether the pipeline had work lined up.
  let busyMs = 0;
  let queueArea = 0;
  let lastChangeAt = 0;
  let sampleSpans = 0;
  /** Committed this turn: counted once every answer of the turn is in (one group commit). */
  let settledSpans = 0;
  let sampleScheduled = false;
  /** When the store last answered, or the span queue last became non-empty. */
  let lastProgressAt = 0;

  const queuedSpans = (): number =>
    pendingSpans + (bytesPerSpan === null ? 0 : pendingBytes / bytesPerSpan);

  /** Accounts the time since the last change at the queue as it was; call before a change. */
  const advance = (): number => {
    const t = now();
    if (pendingSpans > 0 || pendingBytes > 0) {
      busyMs += t - lastChangeAt;
      queueArea += queuedSpans() * (t - lastChangeAt);
    }
    lastChangeAt = t;
    return t;
  };

  const sample = (): void => {
    sampleScheduled = false;
    advance();
    sampleSpans += settledSpans;
    settledSpans = 0;
    if (busyMs < RATE_SAMPLE_MS) return;
    const observed = (sampleSpans * 1000) / busyMs;
    // A short queue means the clients, not the collector, set the pace: such a sample
    // only shows that the collector can go at least that fast.
    const saturated = queueArea / busyMs >= SATURATED_QUEUE_SPANS;
    if (saturated || (rate !== null && observed > rate)) {
      rate = rate === null ? observed : rate + RATE_SAMPLE_WEIGHT * (observed - rate);
    }
    sampleSpans = 0;
    busyMs = 0;
    queueArea = 0;
  };

  /** Expected time (ms) to store what is queued now, at the measured rate (0 before one). */
  const drainMs = (): number => {
    const queued = queuedSpans();
    if (rate === null || queued === 0) return 0;
    return rate === 0 ? Number.POSITIVE_INFINITY : (queued * 1000) / rate;
  };

  const refusal = (reason: string): Refusal => {
    // The backlog's drain time at the measured rate: by then the queue is short again.
    const retryAfterSec = Math.min(
      MAX_RETRY_AFTER_SEC,
      Math.max(MIN_RETRY_AFTER_SEC, Math.ceil(drainMs() / 1000)),
    );
    return {
      retryAfterSec,
      message: `the collector is overloaded (${pendingSpans} spans waiting to be stored, ${pendingBytes} bytes waiting to be parsed; ${reason}); retry after ${retryAfterSec} s`,
    };
  };

  return {
    get pendingSpans() {
      return pendingSpans;
    },
    get pendingBytes() {
      return pendingBytes;
    },
    get commitRate() {
      return rate;
    },
    check(bytes) {
      if (pendingSpans >= maxPendingSpans) return refusal(`at most ${maxPendingSpans} spans`);
      if (pendingBytes > 0 && pendingBytes + bytes > maxPendingBytes) {
        return refusal(`at most ${maxPendingBytes} bytes`);
      }
      // Only the work queued ahead counts, not the request's own: a large batch is
      // admitted whenever the queue is short. Nothing committed for longer than the target
      // while spans wait: whatever the rate says, the queue is at least that late.
      const waitMs = Math.max(drainMs(), pendingSpans > 0 ? now() - lastProgressAt : 0);
      if (waitMs > maxWaitMs) {
        return refusal(`expected wait ${Math.round(waitMs)} ms, at most ${maxWaitMs} ms`);
      }
      return null;
    },
    holdBytes(bytes) {
      advance();
      pendingBytes += bytes;
    },
    parsed(bytes, spans) {
      advance();
      pendingBytes -= bytes;
      if (spans > 0 && bytes > 0) {
        const observed = bytes / spans;
        bytesPerSpan =
          bytesPerSpan === null
            ? observed
            : bytesPerSpan + BYTES_PER_SPAN_WEIGHT * (observed - bytesPerSpan);
      }
    },
    submitted(spans) {
      if (spans === 0) return;
      const t = advance();
      if (pendingSpans === 0) lastProgressAt = t;
      pendingSpans += spans;
    },
    settled(spans, committed) {
      if (spans === 0) return;
      lastProgressAt = advance();
      pendingSpans -= spans;
      if (committed) settledSpans += spans;
      if (!sampleScheduled) {
        sampleScheduled = true;
        setImmediate(sample);
      }
    },
  };
}
