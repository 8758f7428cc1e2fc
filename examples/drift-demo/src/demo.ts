// The drift demo, as a function, over the collector's public HTTP API only: a local collector
// receives a normal reference hour and a shifted last hour of chat traffic over OTLP/HTTP;
// drift monitors and drift alert rules are created through /api/drift/monitors and
// /api/alerts/rules; the collector's own jobs evaluate the rules and deliver a signed webhook to
// a receiver in this process; the drift report comes from /api/drift/report.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startCollector } from '@pilotlight/collector';
import { NORMAL, SHIFTED, type TrafficShape, trafficBatches } from './traffic.js';

const MIN = 60_000;
/** Calls per minute of traffic. */
const CALLS_PER_MIN = 10;
/** Signing secret shared by the webhook sink (config file) and the demo's receiver. */
const SECRET = 'drift-demo-secret-0123456789';
/** How long to wait for the collector's alert job (it evaluates once a minute). */
const ALERT_TIMEOUT_MS = 4 * MIN;

/** What the demo monitors, and the alert threshold on each monitor's statistic. */
export const DEMO_MONITORS = [
  { id: 'latency', feature: 'latency', method: 'psi', threshold: 1, alertAt: 1 },
  { id: 'confidence', feature: 'confidence', method: 'ks', threshold: 0.01, alertAt: 0.3 },
  { id: 'model', feature: 'model', method: 'js', threshold: 0.2, alertAt: 0.2 },
] as const;

/** One monitor run, as `POST /api/drift/monitors/:id/run` answers (the fields shown here). */
export interface DemoRun {
  monitorId: string;
  method: string | null;
  statistic: number | string | null;
  pValue: number | null;
  drifted: boolean;
  reference: { size: number };
  current: { size: number };
}

/** A webhook notification (the fields shown here; see the collector's alerts README). */
export interface DemoNotification {
  event: string;
  status: string;
  rule: { id: string; name: string | null; comparator: string };
  value: number | null;
  threshold: number | null;
  window: { start: string; end: string };
}

/** Options of {@link runDriftDemo}. */
export interface DriftDemoOptions {
  /** Where the database, the alerts config and the report go. */
  outDir: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What the demo saw. */
export interface DriftDemoResult {
  collectorUrl: string;
  runs: DemoRun[];
  /** Webhook deliveries received, in order, with whether their signature verified. */
  notifications: { body: DemoNotification; signatureValid: boolean; idempotencyKey: string }[];
  reportHtmlPath: string;
  reportJsonPath: string;
}

/**
 * Runs the demo end to end (about a minute or two: the collector evaluates alert rules once a
 * minute).
 *
 * @example
 * ```ts
 * const result = await runDriftDemo({ outDir: './drift-demo-out', log: console.log });
 * ```
 */
export async function runDriftDemo(options: DriftDemoOptions): Promise<DriftDemoResult> {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.outDir, { recursive: true });
  const receiver = await startReceiver();
  const configFile = path.join(options.outDir, 'pilotlight.config.json');
  writeFileSync(
    configFile,
    `${JSON.stringify(
      {
        // the receiver is plain http on loopback, which the SSRF policy refuses by default
        network: { allowHttp: true, allow: ['127.0.0.1'] },
        sinks: { demo: { type: 'webhook', url: `${receiver.url}/alerts`, secret: SECRET } },
      },
      null,
      2,
    )}\n`,
  );
  const collector = await startCollector({
    dbPath: path.join(options.outDir, 'pilotlight.db'),
    port: 0,
    alertsConfigFile: configFile,
  });
  try {
    log(`collector listening on ${collector.url}`);
    const end = Math.floor(Date.now() / MIN) * MIN;
    const t = (minutes: number) => end + minutes * MIN;
    const api = async (method: string, url: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(`${collector.url}${url}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
      return text === '' ? null : JSON.parse(text);
    };
    const send = async (
      label: string,
      shape: TrafficShape,
      from: number,
      to: number,
      seed: number,
    ) => {
      const count = (to - from) * CALLS_PER_MIN;
      for (const body of trafficBatches(shape, t(from), t(to), count, seed)) {
        await api('POST', '/v1/traces', body);
      }
      log(`sent ${count} ${label} calls (${iso(t(from))} .. ${iso(t(to))})`);
    };

    // A normal reference hour three hours ago, then an hour of shifted traffic up to now.
    await send('reference', NORMAL, -180, -120, 1);
    await send('shifted', SHIFTED, -60, 0, 2);

    for (const m of DEMO_MONITORS) {
      await api('POST', '/api/drift/monitors', {
        id: m.id,
        feature: m.feature,
        method: m.method,
        threshold: m.threshold,
        referenceWindow: { type: 'fixed', from: iso(t(-180)), to: iso(t(-120)) },
        currentWindow: { windowSec: 1800 },
        schedule: { everySec: 60 },
        minSamples: 50,
      });
      await api('POST', '/api/alerts/rules', {
        id: `drift-${m.id}`,
        name: `${m.feature} drifted`,
        metric: 'drift',
        monitorId: m.id,
        windowSec: 600,
        comparator: '>=',
        threshold: m.alertAt,
        minCalls: 50,
        sinks: ['demo'],
      });
    }
    log(`created ${DEMO_MONITORS.length} drift monitors and their drift alert rules`);

    const runs: DemoRun[] = [];
    for (const m of DEMO_MONITORS) {
      const run = (await api('POST', `/api/drift/monitors/${m.id}/run`)) as DemoRun;
      runs.push(run);
      log(describeRun(run));
    }

    // The report a data scientist reads: the reference hour against the last half hour.
    const query = new URLSearchParams({
      reference: `${iso(t(-180))}..${iso(t(-120))}`,
      current: `${iso(t(-30))}..${iso(t(0))}`,
    });
    for (const f of ['latency', 'confidence', 'model', 'output_tokens']) query.append('feature', f);
    const reportHtmlPath = path.resolve(options.outDir, 'drift-report.html');
    const reportJsonPath = path.resolve(options.outDir, 'drift-report.json');
    const html = await fetch(`${collector.url}/api/drift/report?${query}&format=html`);
    writeFileSync(reportHtmlPath, await html.text());
    writeFileSync(
      reportJsonPath,
      `${JSON.stringify(await api('GET', `/api/drift/report?${query}`), null, 2)}\n`,
    );
    log(`report written to ${reportHtmlPath}`);

    // The collector's alert job evaluates once a minute; wait for one firing per rule.
    log('waiting for the collector to evaluate the alert rules (once a minute)…');
    const deadline = Date.now() + ALERT_TIMEOUT_MS;
    const firing = () => receiver.received.filter((n) => n.body.event === 'alert.firing');
    while (firing().length < DEMO_MONITORS.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (const n of receiver.received) {
      log(
        `webhook ${n.body.event}: ${n.body.rule.name ?? n.body.rule.id}: value ${fmt(n.body.value)} ${n.body.rule.comparator} ${n.body.threshold} over ${n.body.window.start} .. ${n.body.window.end} (signature ${n.signatureValid ? 'valid' : 'INVALID'})`,
      );
    }
    return {
      collectorUrl: collector.url,
      runs,
      notifications: [...receiver.received],
      reportHtmlPath,
      reportJsonPath,
    };
  } finally {
    await collector.close();
    await receiver.close();
  }
}

/** A webhook receiver on 127.0.0.1 that checks each delivery's signature as documented. */
async function startReceiver(): Promise<{
  url: string;
  received: DriftDemoResult['notifications'];
  close(): Promise<void>;
}> {
  const received: DriftDemoResult['notifications'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const timestamp = String(req.headers['x-pilotlight-timestamp'] ?? '');
      const signature = String(req.headers['x-pilotlight-signature'] ?? '');
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${raw}`).digest('hex')}`;
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
      const signatureValid =
        fresh &&
        signature.length === expected.length &&
        timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
      const idempotencyKey = String(req.headers['idempotency-key'] ?? '');
      // a retried delivery carries the same key: keep the first
      if (!received.some((n) => n.idempotencyKey === idempotencyKey)) {
        received.push({
          body: JSON.parse(raw) as DemoNotification,
          signatureValid,
          idempotencyKey,
        });
      }
      res.writeHead(signatureValid ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function describeRun(r: DemoRun): string {
  const p = r.pValue === null ? '' : `, p=${r.pValue.toExponential(2)}`;
  return `monitor ${r.monitorId}: ${r.method} statistic ${fmt(r.statistic)}${p} -> ${r.drifted ? 'DRIFT' : 'no drift'} (${r.reference.size} reference vs ${r.current.size} current calls)`;
}

const fmt = (v: number | string | null): string =>
  typeof v === 'number' ? v.toFixed(3) : String(v);
const iso = (ms: number) => new Date(ms).toISOString();
