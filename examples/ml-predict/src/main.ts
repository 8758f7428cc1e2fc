// A tiny iris classifier whose `predict` is traced with `traceCall`: each prediction becomes a
// span with its input, output, latency and a confidence (the top softmax probability), sent
// to a running pilotlight collector.
//
//   npm start                # the collector, in another terminal
//   npm run example:ml       # this file
import { trace } from '@opentelemetry/api';
import { init, shutdown, traceCall } from '@pilotlight/sdk';
import { type IrisFeatures, predict, topProbability } from './model.js';

/** Where the collector listens unless PILOTLIGHT_ENDPOINT says otherwise. */
const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';
/** How long to wait for the collector's health check before giving up. */
const HEALTH_TIMEOUT_MS = 3_000;
/** Recorded as `gen_ai.request.model`, so the collector can filter this model's calls. */
const MODEL_NAME = 'iris-softmax-v1';

const FLOWERS: IrisFeatures[] = [
  { sepalLengthCm: 5.1, sepalWidthCm: 3.5, petalLengthCm: 1.4, petalWidthCm: 0.2 },
  { sepalLengthCm: 6.0, sepalWidthCm: 2.7, petalLengthCm: 4.2, petalWidthCm: 1.3 },
  { sepalLengthCm: 6.5, sepalWidthCm: 3.0, petalLengthCm: 5.8, petalWidthCm: 2.2 },
  // Between versicolor and virginica: a low-confidence prediction.
  { sepalLengthCm: 6.3, sepalWidthCm: 2.8, petalLengthCm: 5.0, petalWidthCm: 1.6 },
];

const endpoint = (process.env.PILOTLIGHT_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');

if (!(await collectorIsUp(endpoint))) {
  console.error(
    `✖ Cannot reach the pilotlight collector at ${endpoint}.\n` +
      '  Start it in another terminal with `npm start` (from the repository root),\n' +
      '  or set PILOTLIGHT_ENDPOINT to where it listens.',
  );
  process.exit(1);
}

init({ endpoint, serviceName: 'example-ml-predict' });

const traceIds: string[] = [];
for (const flower of FLOWERS) {
  const prediction = await traceCall(
    'iris-classifier.predict',
    () => {
      traceIds.push(trace.getActiveSpan()?.spanContext().traceId ?? '');
      return predict(flower);
    },
    {
      input: flower,
      confidence: topProbability,
      model: MODEL_NAME,
    },
  );
  const confidence = topProbability(prediction).toFixed(3);
  console.log(`${JSON.stringify(flower)} -> ${prediction.label} (confidence ${confidence})`);
}

// Delivers every buffered span before the process goes.
await shutdown();

let missing = 0;
for (const traceId of traceIds) {
  const stored = await storedSpanCount(endpoint, traceId);
  if (stored === 0) missing++;
  console.log(
    `trace ${traceId}  ${endpoint}/api/traces/${traceId}${stored ? '' : '  (not stored!)'}`,
  );
}
console.log(`this model's spans: ${endpoint}/api/spans?model=${MODEL_NAME}`);
if (missing > 0 || traceIds.some((id) => id === '')) {
  console.error(
    `✖ ${missing} of ${traceIds.length} traces did not reach the collector at ${endpoint}.`,
  );
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

async function storedSpanCount(base: string, id: string): Promise<number> {
  try {
    const res = await fetch(`${base}/api/traces/${id}`);
    if (!res.ok) return 0;
    const body = (await res.json()) as { spans?: unknown[] };
    return body.spans?.length ?? 0;
  } catch {
    return 0;
  }
}
