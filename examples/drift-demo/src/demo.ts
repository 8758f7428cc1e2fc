// The drift demo, as a function: a local collector receives three hours of chat traffic over
// OTLP/HTTP (normal, then shifted, then normal again); drift monitors and a drift alert rule
// are created through the drift and alerts APIs; the jobs run on a simulated clock, so the
// three hours play out in seconds; a signed webhook receives the alert; a report is written.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type AlertNotification,
  buildDriftReport,
  type DriftRun,
  driftReportJson,
  openDriftAndAlerts,
  openSqliteStore,
  parseAlertsConfig,
  renderDriftReportHtml,
  startCollector,
  startWebhookReceiver,
} from '@pilotlight/collector';
import { NORMAL, SHIFTED, type TrafficShape, trafficBatches } from './traffic.js';

const MIN = 60_000;
/** Calls per minute of traffic. */
const CALLS_PER_MIN = 10;
/** Signing secret shared by the webhook sink and the demo's receiver. */
const SECRET = 'drift-demo-secret-0123456789';

/** What the demo monitors, and the alert threshold on each monitor's statistic. */
const MONITORS = [
  { id: 'latency', feature: 'latency', method: 'psi', threshold: 1, alertAt: 1 },
  { id: 'confidence', feature: 'confidence', method: 'ks', threshold: 0.01, alertAt: 0.3 },
  { id: 'model', feature: 'model', method: 'js', threshold: 0.2, alertAt: 0.2 },
] as const;

/** Options of {@link runDriftDemo}. */
export interface DriftDemoOptions {
  /** Where the database and the report go. */
  outDir: string;
  /** Progress lines. */
  log?: (line: string) => void;
  /** The end of the simulated three hours (default: now, on a whole minute). */
  endMs?: number;
}

/** What the demo saw. */
export interface DriftDemoResult {
  collectorUrl: string;
  /** Runs at the end of the shifted hour, then an hour later. */
  shiftedRuns: DriftRun[];
  recoveredRuns: DriftRun[];
  /** Webhook notifications received, in order, with whether their signature verified. */
  notifications: { body: AlertNotification; signatureValid: boolean | null }[];
  reportHtmlPath: string;
  reportJsonPath: string;
}

/**
 * Runs the demo end to end.
 *
 * @example
 * ```ts
 * const result = await runDriftDemo({ outDir: './drift-demo-out', log: console.log });
 * ```
 */
export async function runDriftDemo(options: DriftDemoOptions): Promise<DriftDemoResult> {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.outDir, { recursive: true });
  const end = Math.floor((options.endMs ?? Date.now()) / MIN) * MIN;
  const t = (minutes: number) => end + minutes * MIN; // minutes relative to the end
  let clock = t(-60);
  const now = () => clock;

  const collector = await startCollector({
    dbPath: path.join(options.outDir, 'pilotlight.db'),
    port: 0,
  });
  const store = openSqliteStore({ path: collector.dbPath });
  const receiver = await startWebhookReceiver({ secret: SECRET, now });
  const jobs = openDriftAndAlerts({
    dbPath: collector.dbPath,
    store,
    projectId: 'default',
    now,
    config: parseAlertsConfig({
      // the receiver is on loopback over http, which the SSRF policy refuses by default
      network: { allowHttp: true, allow: ['127.0.0.1'] },
      sinks: { demo: { type: 'webhook', url: `${receiver.origin}/alerts`, secret: SECRET } },
    }),
  });
  try {
    log(`collector listening on ${collector.url}`);
    const send = async (
      label: string,
      shape: TrafficShape,
      from: number,
      to: number,
      seed: number,
    ) => {
      const batches = trafficBatches(shape, t(from), t(to), (to - from) * CALLS_PER_MIN, seed);
      for (const body of batches) {
        const res = await fetch(`${collector.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`POST /v1/traces answered ${res.status}: ${await res.text()}`);
      }
      log(`sent ${(to - from) * CALLS_PER_MIN} ${label} calls (${iso(t(from))} .. ${iso(t(to))})`);
    };
    const api = async (method: string, url: string, body?: unknown): Promise<unknown> => {
      const res = await jobs.routes.request(url, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json: unknown = await res.json();
      if (!res.ok)
        throw new Error(`${method} ${url} answered ${res.status}: ${JSON.stringify(json)}`);
      return json;
    };

    // The reference hour, then an hour of shifted traffic.
    await send('reference', NORMAL, -180, -120, 1);
    await send('shifted', SHIFTED, -120, -60, 2);

    for (const m of MONITORS) {
      await api('POST', '/api/drift/monitors', {
        id: m.id,
        feature: m.feature,
        method: m.method,
        threshold: m.threshold,
        referenceWindow: { type: 'fixed', from: iso(t(-180)), to: iso(t(-120)) },
        currentWindow: { windowSec: 1800 },
        schedule: { everySec: 600 },
        minSamples: 50,
      });
      await api('POST', '/api/alerts/rules', {
        id: `drift-${m.id}`,
        name: `${m.feature} drifted`,
        metric: 'drift',
        monitorId: m.id,
        windowSec: 900,
        comparator: '>=',
        threshold: m.alertAt,
        minCalls: 50,
        sinks: ['demo'],
      });
    }
    log(`created ${MONITORS.length} drift monitors and ${MONITORS.length} drift alert rules`);

    const round = async (): Promise<DriftRun[]> => {
      const runs: DriftRun[] = [];
      for (const m of MONITORS) {
        runs.push((await api('POST', `/api/drift/monitors/${m.id}/run`)) as DriftRun);
      }
      clock += MIN; // the alert job reads runs of the minutes before it
      await jobs.alerting.evaluate();
      await jobs.alerting.deliver();
      return runs;
    };
    const shiftedRuns = await round();
    for (const r of shiftedRuns) log(describeRun(r));

    // Traffic returns to normal for the last hour.
    await send('normal', NORMAL, -60, 0, 3);
    clock = t(0);
    const recoveredRuns = await round();
    for (const r of recoveredRuns) log(describeRun(r));

    const notifications = receiver.requests.map((r) => ({
      body: JSON.parse(r.body) as AlertNotification,
      signatureValid: r.signatureValid,
    }));
    for (const n of notifications) {
      log(
        `webhook ${n.body.event}: rule ${n.body.rule.id} value ${n.body.value?.toFixed(3)} ${n.body.rule.comparator} ${n.body.threshold} (signature ${n.signatureValid ? 'valid' : 'INVALID'})`,
      );
    }

    // The report a data scientist reads: the reference hour against the last shifted half hour.
    const report = await buildDriftReport(
      jobs.features,
      {
        projectId: 'default',
        features: ['latency', 'confidence', 'model', 'output_tokens'],
        reference: { fromMs: t(-180), toMs: t(-120) },
        current: { fromMs: t(-90), toMs: t(-60) },
      },
      undefined,
      clock,
    );
    const reportHtmlPath = path.resolve(options.outDir, 'drift-report.html');
    const reportJsonPath = path.resolve(options.outDir, 'drift-report.json');
    writeFileSync(reportHtmlPath, renderDriftReportHtml(report));
    writeFileSync(reportJsonPath, `${driftReportJson(report)}\n`);
    return {
      collectorUrl: collector.url,
      shiftedRuns,
      recoveredRuns,
      notifications,
      reportHtmlPath,
      reportJsonPath,
    };
  } finally {
    jobs.close();
    await store.close();
    await receiver.stop();
    await collector.close();
  }
}

function describeRun(r: DriftRun): string {
  const p = r.pValue === null ? '' : `, p=${r.pValue.toExponential(2)}`;
  return `monitor ${r.monitorId}: ${r.method} statistic ${r.statistic?.toFixed(3)}${p} -> ${r.drifted ? 'DRIFT' : 'no drift'} (${r.reference.size} reference vs ${r.current.size} current calls)`;
}

const iso = (ms: number) => new Date(ms).toISOString();
