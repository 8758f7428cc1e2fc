import type { Context } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type {
  ReadableSpan,
  Span,
  SpanExporter,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../config.js';
import { LightSpan } from './light-span.js';

/** Counters of the delivery pipeline, read with `getDeliveryStats()`. */
export interface DeliveryStats {
  /** Spans waiting in the queue now. */
  queued: number;
  /** Spans the exporter confirmed. */
  exported: number;
  /** Spans dropped because the queue was full. */
  droppedQueueFull: number;
  /** Spans dropped because their batch could not be delivered before the retry deadline. */
  droppedExportFailed: number;
  /** `droppedQueueFull + droppedExportFailed`: every span lost. */
  dropped: number;
  /** Spans not kept by head sampling (by design, not a loss). */
  sampledOut: number;
}

/** Options of {@link PilotlightSpanProcessor}. */
export interface PilotlightSpanProcessorOptions {
  exporter: SpanExporter;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMs: number;
  /** Fraction of traces kept, decided from the trace id (default 1). */
  sampleRatio?: number;
  /** Keep errored spans whatever the ratio (default true). */
  keepErrors?: boolean;
  /** Spans for which this returns false are not exported (e.g. duplicates of ours). */
  filter?: (span: ReadableSpan) => boolean;
  /** Turns a batch into what is exported (redaction, content, cost): runs off the caller's path. */
  enrich?: (spans: ReadableSpan[]) => Promise<ReadableSpan[]>;
  /**
   * Completes queued spans soon after they ended, from `setImmediate` (off the caller's path),
   * so what they reference can be collected young; `enrich` finishes whatever it left.
   */
  prepare?: (spans: readonly ReadableSpan[]) => void;
  logger?: Logger;
}

/**
 * A batching span processor. `onEnd` — on the caller's path — is one sampling check and one
 * `push`; a full queue drops the span, counts it and warns once. Batches are enriched and
 * exported from an `unref()`'d timer, one export at a time, so the process can exit and the
 * caller never waits for the network. `forceFlush` exports everything queued; `shutdown` is
 * idempotent.
 */
export class PilotlightSpanProcessor implements SpanProcessor {
  private readonly queue: ReadableSpan[] = [];
  /** Spans queued since the last `prepare` run (the tail of the queue, or already exported). */
  private fresh: ReadableSpan[] = [];
  private prepareScheduled = false;
  private readonly runPrepare = (): void => {
    this.prepareScheduled = false;
    const spans = this.fresh;
    this.fresh = [];
    try {
      this.options.prepare?.(spans);
    } catch {
      // The batch path completes what was left.
    }
  };
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | null = null;
  private stopped: Promise<void> | null = null;
  private warned = false;
  private readonly sampleBound: number;
  private readonly stats = {
    exported: 0,
    droppedQueueFull: 0,
    droppedExportFailed: 0,
    sampledOut: 0,
  };

  constructor(private readonly options: PilotlightSpanProcessorOptions) {
    const ratio = options.sampleRatio ?? 1;
    this.sampleBound = Math.floor(Math.min(1, Math.max(0, ratio)) * 0x1_0000_0000);
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped !== null) return;
    if (
      this.options.filter !== undefined &&
      !(span instanceof LightSpan) &&
      !this.options.filter(span)
    )
      return;
    if (this.sampleBound < 0x1_0000_0000 && !this.keep(span)) {
      this.stats.sampledOut++;
      return;
    }
    if (this.queue.length >= this.options.maxQueueSize) {
      this.stats.droppedQueueFull++;
      this.warnOnce(`queue full (${this.options.maxQueueSize} spans)`);
      return;
    }
    this.queue.push(span);
    if (this.options.prepare !== undefined) {
      this.fresh.push(span);
      if (!this.prepareScheduled) {
        this.prepareScheduled = true;
        setImmediate(this.runPrepare);
      }
    }
    if (this.queue.length >= this.options.maxExportBatchSize && this.exporting === null) {
      this.clearTimer();
      void this.drain(false);
    } else if (this.timer === undefined && this.exporting === null) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.drain(false);
      }, this.options.scheduledDelayMs);
      this.timer.unref();
    }
  }

  /** Exports every queued span (retrying under the exporter's deadline). */
  forceFlush(): Promise<void> {
    this.clearTimer();
    return this.drain(true);
  }

  shutdown(): Promise<void> {
    this.stopped ??= this.forceFlush().then(async () => {
      const { dropped } = this.getStats();
      if (dropped > 0)
        this.options.logger?.warn(`pilotlight: ${dropped} spans were dropped in total`);
      await this.options.exporter.shutdown();
    });
    return this.stopped;
  }

  getStats(): DeliveryStats {
    const { exported, droppedQueueFull, droppedExportFailed, sampledOut } = this.stats;
    return {
      queued: this.queue.length,
      exported,
      droppedQueueFull,
      droppedExportFailed,
      dropped: droppedQueueFull + droppedExportFailed,
      sampledOut,
    };
  }

  /** Drops what is still queued, counting it (used when an exit flush runs out of time). */
  dropQueued(): number {
    const n = this.queue.length;
    this.queue.length = 0;
    this.stats.droppedExportFailed += n;
    return n;
  }

  private keep(span: ReadableSpan): boolean {
    if ((this.options.keepErrors ?? true) && span.status.code === SpanStatusCode.ERROR) return true;
    // The same decision for every span of a trace: the trace id's last 8 hex digits, uniform.
    const low = Number.parseInt(span.spanContext().traceId.slice(-8), 16);
    return low < this.sampleBound;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private warnOnce(reason: string): void {
    if (this.warned) return;
    this.warned = true;
    this.options.logger?.warn(
      `pilotlight: dropping spans: ${reason}. Further drops are counted silently (getDeliveryStats()); the total is logged at shutdown.`,
    );
  }

  private drain(all: boolean): Promise<void> {
    if (this.exporting !== null)
      return this.exporting.then(() => (all ? this.drain(true) : undefined));
    if (this.queue.length === 0) return Promise.resolve();
    const run = async (): Promise<void> => {
      do {
        await this.exportBatch(this.queue.splice(0, this.options.maxExportBatchSize));
      } while (all ? this.queue.length > 0 : this.queue.length >= this.options.maxExportBatchSize);
    };
    this.exporting = run().finally(() => {
      this.exporting = null;
      if (this.queue.length > 0 && this.timer === undefined && this.stopped === null) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          void this.drain(false);
        }, this.options.scheduledDelayMs);
        this.timer.unref();
      }
    });
    return this.exporting;
  }

  private async exportBatch(batch: ReadableSpan[]): Promise<void> {
    let spans = batch;
    if (this.options.enrich) {
      try {
        spans = await this.options.enrich(batch);
      } catch {
        spans = batch;
      }
    }
    const ok = await new Promise<boolean>((resolve) => {
      try {
        this.options.exporter.export(spans, (result) =>
          resolve(result.code === ExportResultCode.SUCCESS),
        );
      } catch {
        resolve(false);
      }
    });
    if (ok) this.stats.exported += batch.length;
    else {
      this.stats.droppedExportFailed += batch.length;
      this.warnOnce(`a batch of ${batch.length} could not be delivered before the retry deadline`);
    }
  }
}
