// `npm run demo` (or `npm start -w @pilotlight/example-demo`): about a minute of realistic
// traffic into a running collector, so that every dashboard page has something to show.
//
//   npm start        # the collector, in another terminal
//   npm run demo     # this file
//
// Offline: the model calls go to a mock OpenAI/Anthropic server started in this process.
import { runDemo } from './demo.js';

/** Where the collector listens unless PILOTLIGHT_ENDPOINT says otherwise. */
const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';
/** How long to wait for the collector's health check before giving up. */
const HEALTH_TIMEOUT_MS = 3_000;

const endpoint = (process.env.PILOTLIGHT_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');

if (!(await collectorIsUp(endpoint))) {
  console.error(
    `✖ Cannot reach the pilotlight collector at ${endpoint}.\n` +
      '  Start it in another terminal with `npm start` (from the repository root),\n' +
      '  or set PILOTLIGHT_ENDPOINT to where it listens.',
  );
  process.exit(1);
}

console.log(`pilotlight demo → ${endpoint}`);
try {
  const result = await runDemo({ endpoint, log: (line) => console.log(`  ${line}`) });
  const total = Object.values(result.callsByModel).reduce((a, b) => a + b, 0);
  console.log('');
  console.log(
    `✔ Sent ${total} calls (${result.errors} failing on purpose, ${result.streamed} streamed):`,
  );
  for (const [model, n] of Object.entries(result.callsByModel)) {
    console.log(`    ${model.padEnd(24)} ${n}`);
  }
  console.log(
    `  ${result.spans.exported} spans delivered${result.spans.dropped > 0 ? `, ${result.spans.dropped} DROPPED` : ''}`,
  );
  console.log(
    result.feedback.notStoredReason === null
      ? `  ${result.feedback.stored} feedback scores stored`
      : `  feedback not stored: ${result.feedback.notStoredReason}`,
  );
  const run = result.driftRun;
  console.log(
    `  drift: ${run.monitorId} ${run.drifted ? 'DRIFTED' : 'did not drift'} (${run.method} ${String(run.statistic)}); ` +
      "its alert rule fires at the collector's first evaluation after this minute closes (within two minutes)",
  );
  console.log('');
  console.log('Open the dashboard:');
  console.log(`  overview  ${result.urls.overview}`);
  console.log(`  calls     ${result.urls.calls}`);
  console.log(`  a trace   ${result.urls.trace}`);
  console.log(`  models    ${result.urls.models}`);
  console.log(`  alerts    ${result.urls.alerts}`);
  console.log(`  drift     ${result.urls.drift}`);
  if (result.spans.dropped > 0) process.exitCode = 1;
} catch (error) {
  console.error('✖ The demo failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
}

async function collectorIsUp(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    return res.ok;
  } catch {
    return false;
  }
}
