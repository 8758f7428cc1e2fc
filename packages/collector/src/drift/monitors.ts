/**
 * Drift monitors for one collector: CRUD over the store, one run (sample both windows,
 * compare, store the result), and a scheduler that runs each enabled monitor every
 * `schedule.everySec`. A `drift` alert rule reads the stored runs through the store's
 * `latestRun`, so drift pages through the alerts' sinks.
 */
import { randomBytes } from 'node:crypto';
import { compareSamples } from './compare.js';
import type { FeatureSample, FeatureSource } from './feature-source.js';
import { hashSeed } from './feature-source.js';
import { isFeatureError, parseFeature } from './features.js';
import type { DriftMonitor } from './monitor.js';
import type {
  DriftBaseline,
  DriftRun,
  DriftStore,
  NewDriftRun,
  ReferenceSource,
} from './sqlite-drift-store.js';

/** Windows end on a whole minute, like alert windows, so runs are reproducible. */
const MINUTE_MS = 60_000;
/** Default interval at which the scheduler looks for due monitors. */
export const DEFAULT_TICK_MS = 30_000;

/** Options of {@link DriftMonitors}. */
export interface DriftMonitorsOptions {
  store: DriftStore;
  features: FeatureSource;
  /** Clock (Unix ms); `Date.now` by default. */
  now?: () => number;
}

/** A monitor id the store does not know. */
export class DriftMonitorNotFoundError extends Error {
  override readonly name = 'DriftMonitorNotFoundError';
  readonly code = 'not_found';
}

/** What a baseline is taken from. */
export interface SaveBaselineOptions {
  id?: string;
  projectId: string;
  feature: string;
  filters?: DriftBaseline['filters'];
  fromMs: number;
  toMs: number;
  /** Values kept at most (default 10,000). */
  cap?: number;
}

/**
 * Drift monitors of one process.
 *
 * @example
 * ```ts
 * const monitors = new DriftMonitors({ store: new SqliteDriftStore(db), features });
 * await monitors.put(driftMonitorSchema.parse({ ... }));
 * monitors.start(); // or call runDue() from the job scheduler
 * ```
 */
export class DriftMonitors {
  readonly store: DriftStore;
  private readonly features: FeatureSource;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(options: DriftMonitorsOptions) {
    this.store = options.store;
    this.features = options.features;
    this.now = options.now ?? Date.now;
  }

  list(projectId?: string): Promise<DriftMonitor[]> {
    return this.store.listMonitors(projectId);
  }

  get(id: string): Promise<DriftMonitor | null> {
    return this.store.getMonitor(id);
  }

  /** Creates or replaces a monitor (already validated). */
  put(monitor: DriftMonitor): Promise<{ created: boolean }> {
    return this.store.putMonitor(monitor, this.now());
  }

  /** Deletes a monitor; its runs stay readable. */
  remove(id: string): Promise<boolean> {
    return this.store.removeMonitor(id);
  }

  /** A fresh monitor id. */
  newId(): string {
    return `mon-${randomBytes(6).toString('hex')}`;
  }

  /** Runs of a monitor, newest first. */
  runs(monitorId: string, limit = 100): Promise<DriftRun[]> {
    return this.store.listRuns(monitorId, limit);
  }

  /**
   * Runs one monitor now and stores the result.
   *
   * @throws {DriftMonitorNotFoundError} for an unknown id.
   */
  async runNow(id: string): Promise<DriftRun> {
    const monitor = await this.store.getMonitor(id);
    if (monitor === null) throw new DriftMonitorNotFoundError(`no drift monitor ${id}`);
    return this.run(monitor, this.now());
  }

  /** Runs every enabled monitor whose last run is at least `schedule.everySec` old. */
  async runDue(): Promise<DriftRun[]> {
    const nowMs = this.now();
    const last = await this.store.lastRunTimes();
    const out: DriftRun[] = [];
    for (const monitor of await this.store.listMonitors()) {
      if (!monitor.enabled) continue;
      const at = last.get(monitor.id);
      if (at !== undefined && nowMs - at < monitor.schedule.everySec * 1000) continue;
      out.push(await this.run(monitor, nowMs));
    }
    return out;
  }

  /**
   * Samples a window and saves it as a baseline that monitors can reference
   * (`referenceWindow: { type: 'baseline', baselineId }`).
   *
   * @throws {RangeError} for an unknown feature.
   */
  async saveBaseline(options: SaveBaselineOptions): Promise<Omit<DriftBaseline, 'values'>> {
    const feature = parseFeature(options.feature);
    if (isFeatureError(feature)) throw new RangeError(feature.error);
    const id = options.id ?? `base-${randomBytes(6).toString('hex')}`;
    const filters = options.filters ?? {};
    const s = await this.features.sample(
      options.projectId,
      feature,
      filters,
      options.fromMs,
      options.toMs,
      options.cap ?? 10_000,
      hashSeed(`${id}:${options.fromMs}:${options.toMs}`),
    );
    const baseline: DriftBaseline = {
      id,
      projectId: options.projectId,
      feature: options.feature,
      filters,
      fromMs: options.fromMs,
      toMs: options.toMs,
      total: s.total,
      sampled: s.sampled,
      createdAtMs: this.now(),
      values:
        s.kind === 'numeric'
          ? { kind: 'numeric', values: Array.from(s.values) }
          : { kind: 'categorical', values: s.values },
    };
    await this.store.putBaseline(baseline);
    const { values: _values, ...meta } = baseline;
    return meta;
  }

  /**
   * Runs the scheduler on an unref'd timer: every `tickMs`, {@link runDue}. A tick is
   * skipped while the previous one is still running; errors go to `onError`. With
   * `immediately`, the first tick runs now.
   */
  start(
    options: {
      tickMs?: number;
      immediately?: boolean;
      onError?: (error: unknown) => void;
      onRun?: (run: DriftRun) => void;
    } = {},
  ): void {
    if (this.timer !== undefined) return;
    const onError = options.onError ?? (() => undefined);
    const tick = () => {
      if (this.running) return;
      this.running = true;
      this.runDue()
        .then((runs) => {
          for (const r of runs) options.onRun?.(r);
        })
        .catch(onError)
        .finally(() => {
          this.running = false;
        });
    };
    this.timer = setInterval(tick, options.tickMs ?? DEFAULT_TICK_MS);
    this.timer.unref();
    if (options.immediately === true) tick();
  }

  /** Stops the scheduler; idempotent. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async run(monitor: DriftMonitor, nowMs: number): Promise<DriftRun> {
    return this.store.appendRun(await runDriftMonitor(monitor, this.features, this.store, nowMs));
  }
}

/**
 * One run of a monitor at `nowMs`: the current window is the last `windowSec` of whole
 * minutes; both windows are sampled with a seed derived from the monitor and the window.
 * Never throws for bad data: the run's `status` says what went wrong.
 */
export async function runDriftMonitor(
  monitor: DriftMonitor,
  features: FeatureSource,
  baselines: Pick<DriftStore, 'getBaseline'>,
  nowMs: number,
): Promise<NewDriftRun> {
  const toMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  const fromMs = toMs - monitor.currentWindow.windowSec * 1000;
  const seed = hashSeed(`${monitor.id}:${toMs}`);
  const feature = parseFeature(monitor.feature);
  const source: ReferenceSource = monitor.referenceWindow.type;
  const base = {
    monitorId: monitor.id,
    projectId: monitor.projectId,
    feature: monitor.feature,
    ranAtMs: nowMs,
    seed,
  };
  const failed = (message: string, refWindow: { fromMs: number; toMs: number }): NewDriftRun => ({
    ...base,
    status: 'error',
    message,
    kind: isFeatureError(feature) ? 'numeric' : feature.kind,
    method: null,
    statistic: null,
    pValue: null,
    threshold: null,
    drifted: false,
    bins: null,
    quantiles: null,
    reference: { ...refWindow, total: 0, size: 0, sampled: false, source },
    current: { fromMs, toMs, total: 0, size: 0, sampled: false },
  });
  if (isFeatureError(feature)) return failed(feature.error, { fromMs, toMs });

  const sample = (from: number, to: number, s: number): Promise<FeatureSample> =>
    features.sample(monitor.projectId, feature, monitor.filters, from, to, monitor.sampleCap, s);
  let reference: FeatureSample;
  let refWindow: { fromMs: number; toMs: number };
  let baselineId: string | undefined;
  const ref = monitor.referenceWindow;
  if (ref.type === 'fixed') {
    refWindow = { fromMs: Date.parse(ref.from), toMs: Date.parse(ref.to) };
    reference = await sample(refWindow.fromMs, refWindow.toMs, seed);
  } else if (ref.type === 'previous') {
    refWindow = { fromMs: fromMs - (toMs - fromMs), toMs: fromMs };
    reference = await sample(refWindow.fromMs, refWindow.toMs, seed);
  } else {
    baselineId = ref.baselineId;
    const found = await baselines.getBaseline(ref.baselineId);
    // Another project's baseline is as good as missing: its values never cross projects.
    const b = found !== null && found.projectId === monitor.projectId ? found : null;
    if (b === null) return failed(`baseline ${ref.baselineId} does not exist`, { fromMs, toMs });
    refWindow = { fromMs: b.fromMs, toMs: b.toMs };
    if (b.feature !== monitor.feature) {
      return failed(
        `baseline ${b.id} holds feature ${b.feature}, not ${monitor.feature}`,
        refWindow,
      );
    }
    reference =
      b.values.kind === 'numeric'
        ? {
            kind: 'numeric',
            values: Float64Array.from(b.values.values),
            total: b.total,
            sampled: b.sampled,
          }
        : { kind: 'categorical', values: b.values.values, total: b.total, sampled: b.sampled };
  }
  const current = await sample(fromMs, toMs, (seed + 1) >>> 0);
  const comparison = compareSamples(reference, current, {
    method: monitor.method,
    threshold: monitor.threshold,
    minSamples: monitor.minSamples,
  });
  return {
    ...base,
    ...comparison,
    reference: {
      ...refWindow,
      total: reference.total,
      size: reference.values.length,
      sampled: reference.sampled,
      source,
      ...(baselineId === undefined ? {} : { baselineId }),
    },
    current: {
      fromMs,
      toMs,
      total: current.total,
      size: current.values.length,
      sampled: current.sampled,
    },
  };
}
