// The demo as a function: about a minute of a support bot's traffic, through @pilotlight/sdk and
// the real `openai` and `@anthropic-ai/sdk` clients, against a mock model server started in this
// process, into a collector that is already running. Every dashboard page ends up with data:
// several models and providers, plain and streamed calls, errors, agent traces with tool spans,
// embeddings, an ML model's predictions with confidence, user feedback, model owners, and a
// latency drift (a drift monitor and a `drift` alert rule, created through the HTTP API).
import Anthropic from '@anthropic-ai/sdk';
import type { Span } from '@opentelemetry/api';
import { type MockModelServer, startMockModelServer } from '@pilotlight/mock-model-server';
import {
  flush,
  getDeliveryStats,
  init,
  type Logger,
  recordFeedback,
  shutdown,
  traceCall,
  wrapAnthropic,
  wrapOpenAI,
} from '@pilotlight/sdk';
import OpenAI from 'openai';
import { inPool, lognormalMs, QUESTIONS, seededRandom } from './traffic.js';

/** `service.name` of the demo's spans. */
export const DEMO_SERVICE = 'demo-support-bot';
/** The drift monitor the demo creates (replaced, not duplicated, on every run). */
export const DEMO_MONITOR_ID = 'demo-latency-gpt-4o-mini';
/** The `drift` alert rule watching {@link DEMO_MONITOR_ID}. */
export const DEMO_RULE_ID = 'demo-latency-drift';
/** The model whose latency drifts. */
const DRIFT_MODEL = 'gpt-4o-mini';
/** Calls before and after the shift, and the median latency (ms) the mock adds to each. */
const REFERENCE_CALLS = 30;
const REFERENCE_MEDIAN_MS = 150;
const SHIFTED_CALLS = 60;
const SHIFTED_MEDIAN_MS = 600;
/** PSI at or above this is drift (0.25 is the usual "significant shift" line). */
const PSI_THRESHOLD = 0.25;
/** The monitor's rolling current window: two whole minutes, so a burst across a minute boundary still counts. */
const CURRENT_WINDOW_SEC = 120;
/** Monitors compare whole minutes: the run waits for the minute of the last shifted call to close. */
const MINUTE_MS = 60_000;
/** Extra wait past the minute boundary. */
const MINUTE_MARGIN_MS = 500;
const CHAT_CONCURRENCY = 12;

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Collector base URL (spans go to `${endpoint}/v1/traces`). */
  endpoint: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** A drift monitor run, as `POST /api/drift/monitors/:id/run` answers (the fields used here). */
export interface DemoDriftRun {
  monitorId: string;
  method: string | null;
  statistic: number | string | null;
  drifted: boolean;
  reference: { size: number };
  current: { size: number };
}

/** What the demo sent and what the collector answered. */
export interface DemoResult {
  /** Model calls and traced functions sent, per model (errors included). */
  callsByModel: Record<string, number>;
  /** Calls that ended in an error (on purpose: rate limits, server errors, a cut stream). */
  errors: number;
  /** Streamed calls. */
  streamed: number;
  /** Agent traces (agent → LLM and tool spans). */
  traceIds: string[];
  /** Feedback scores sent and stored; `notStoredReason` says why the collector kept none (e.g. no `/api/feedback` route: 404). */
  feedback: { sent: number; stored: number; notStoredReason: string | null };
  driftRun: DemoDriftRun;
  /** Spans the SDK delivered to the collector, and those it had to drop. */
  spans: { exported: number; dropped: number };
  /** Dashboard pages to open. */
  urls: Record<'overview' | 'calls' | 'trace' | 'models' | 'alerts' | 'drift', string>;
}

/**
 * Runs the demo against the collector at `options.endpoint` (which must be running): starts
 * the mock model server, initialises the SDK, sends the traffic, runs the drift monitor and
 * shuts the SDK down. Takes 10 to 70 seconds, most of it waiting for a minute to close so the
 * drift monitor sees the shifted calls.
 *
 * @throws {Error} when the collector refuses a drift monitor, an alert rule or a run.
 *
 * @example
 * ```ts
 * const result = await runDemo({ endpoint: 'http://127.0.0.1:4318', log: console.log });
 * console.log(result.urls.overview);
 * ```
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const log = options.log ?? (() => undefined);
  const mock = await startMockModelServer();
  init({ endpoint, serviceName: DEMO_SERVICE, logger: quietLogger(log) });
  try {
    return await sendEverything(endpoint, mock, log);
  } finally {
    await shutdown();
    await mock.close();
  }
}

async function sendEverything(
  endpoint: string,
  mock: MockModelServer,
  log: (line: string) => void,
): Promise<DemoResult> {
  const api = collectorApi(endpoint);
  // Errors are part of the show: let each one be recorded once, not retried.
  const openai = wrapOpenAI(
    new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'mock-key', maxRetries: 0 }),
  );
  const anthropic = wrapAnthropic(
    new Anthropic({ baseURL: mock.anthropicBaseURL, apiKey: 'mock-key', maxRetries: 0 }),
  );
  const random = seededRandom(8);
  const callsByModel: Record<string, number> = {};
  let errors = 0;
  let streamed = 0;
  const count = (model: string) => {
    callsByModel[model] = (callsByModel[model] ?? 0) + 1;
  };
  const failed = async (call: () => Promise<unknown>) => {
    try {
      await call();
    } catch {
      errors++; // recorded on its span by the SDK, which re-threw it unchanged
    }
  };

  // 1. The support bot answers with gpt-4o-mini; then its latency quadruples.
  const answer = (question: string, delayMs: number) => {
    count(DRIFT_MODEL);
    return openai.chat.completions.create(
      {
        model: DRIFT_MODEL,
        messages: [
          { role: 'system', content: 'You are a concise, friendly support assistant.' },
          { role: 'user', content: question },
        ],
        temperature: 0.3,
        logprobs: true, // gives each call a confidence (mean token probability)
      },
      { headers: { 'x-mock-delay-ms': String(delayMs) } },
    );
  };
  const questions = (n: number) => Array.from({ length: n }, (_, i) => QUESTIONS[i % 8] as string);
  const referenceFromMs = Date.now() - 1;
  await inPool(questions(REFERENCE_CALLS), CHAT_CONCURRENCY, (q) =>
    answer(q, lognormalMs(random, REFERENCE_MEDIAN_MS)),
  );
  const shiftFromMs = Date.now();
  log(`sent ${REFERENCE_CALLS} ${DRIFT_MODEL} answers at ~${REFERENCE_MEDIAN_MS} ms (reference)`);
  await inPool(questions(SHIFTED_CALLS), CHAT_CONCURRENCY, (q) =>
    answer(q, lognormalMs(random, SHIFTED_MEDIAN_MS)),
  );
  const shiftToMs = Date.now();
  log(`sent ${SHIFTED_CALLS} ${DRIFT_MODEL} answers at ~${SHIFTED_MEDIAN_MS} ms (latency shift)`);

  // 2. Agent traces: an agent span holding a tool-calling gpt-4o turn, the tool, and a streamed reply.
  const traceIds: string[] = [];
  const feedbackTargets: { traceId: string; spanId: string; score: number }[] = [];
  await inPool([0, 1, 2, 3, 4, 5], 3, async (i) => {
    const question = QUESTIONS[i] as string;
    await traceCall(
      'support-agent',
      async (span: Span) => {
        const { traceId, spanId } = span.spanContext();
        traceIds.push(traceId);
        const messages: OpenAI.ChatCompletionMessageParam[] = [
          { role: 'system', content: 'Look the order up before answering.' },
          { role: 'user', content: question },
        ];
        count('gpt-4o');
        const first = await openai.chat.completions.create({
          model: 'gpt-4o',
          messages,
          tools: [LOOKUP_ORDER_TOOL],
          tool_choice: 'required',
        });
        const toolCall = first.choices[0]?.message.tool_calls?.[0];
        const args = toolCall?.type === 'function' ? toolCall.function.arguments : '{}';
        const order = await traceCall('lookup_order', async () => lookupOrder(args), {
          kind: 'tool',
          input: args,
        });
        messages.push(first.choices[0]!.message, {
          role: 'tool',
          tool_call_id: toolCall?.id ?? 'call_0',
          content: JSON.stringify(order),
        });
        count('gpt-4o');
        streamed++;
        const stream = await openai.chat.completions.create({
          model: 'gpt-4o',
          messages,
          stream: true,
          stream_options: { include_usage: true },
        });
        let reply = '';
        for await (const chunk of stream) reply += chunk.choices[0]?.delta.content ?? '';
        // Thumbs up for most answers, a thumbs down now and then.
        feedbackTargets.push({ traceId, spanId, score: i % 3 === 2 ? 0 : 1 });
        return reply;
      },
      { kind: 'agent', input: question },
    );
  });
  log(`sent ${traceIds.length} agent traces (gpt-4o tool call, lookup_order tool, streamed reply)`);

  // 3. Claude for longer write-ups, plain and streamed, through the real Anthropic client.
  await inPool([0, 1, 2, 3, 4, 5], 3, async (i) => {
    const request = {
      model: 'claude-sonnet-4',
      max_tokens: 256,
      system: 'Summarise the customer conversation for the next agent.',
      messages: [{ role: 'user' as const, content: `Summarise: ${QUESTIONS[i + 1]}` }],
    };
    count('claude-sonnet-4');
    if (i % 2 === 0) {
      await anthropic.messages.create(request);
      return;
    }
    streamed++;
    const stream = await anthropic.messages.create({ ...request, stream: true });
    for await (const _event of stream) {
      // consumed to the end: the span ends with the stream
    }
  });
  log('sent 6 claude-sonnet-4 summaries (3 plain, 3 streamed)');

  // 4. Embeddings for the help-centre search.
  await inPool([0, 1, 2, 3], 2, async (i) => {
    count('text-embedding-3-small');
    await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: [QUESTIONS[i] as string, QUESTIONS[i + 4] as string],
    });
  });
  log('sent 4 text-embedding-3-small calls');

  // 5. A classic ML model: churn risk, with the top class probability as its confidence.
  for (let i = 0; i < 12; i++) {
    const features = {
      ordersLast90d: Math.floor(random() * 12),
      ticketsLast30d: Math.floor(random() * 5),
      daysSinceLogin: Math.floor(random() * 60),
    };
    count(CHURN_MODEL);
    await traceCall('churn-risk.predict', async () => predictChurn(features), {
      input: features,
      model: CHURN_MODEL,
      confidence: (p) => Math.max(p.churn, 1 - p.churn),
    });
  }
  log(`sent 12 ${CHURN_MODEL} predictions with confidence`);

  // 6. Things going wrong: rate limits, server errors, overload, a stream cut mid-way.
  const errorCalls: (() => Promise<unknown>)[] = [
    ...[429, 429, 500].map((status) => () => {
      count('gpt-4o');
      return openai.chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: QUESTIONS[2] as string }] },
        { headers: { 'x-mock-error': String(status) } },
      );
    }),
    ...[500, 503].map((status) => () => {
      count(DRIFT_MODEL);
      return openai.chat.completions.create(
        { model: DRIFT_MODEL, messages: [{ role: 'user', content: QUESTIONS[3] as string }] },
        { headers: { 'x-mock-error': String(status) } },
      );
    }),
    () => {
      count('claude-sonnet-4');
      return anthropic.messages.create(
        {
          model: 'claude-sonnet-4',
          max_tokens: 64,
          messages: [{ role: 'user', content: 'Summarise the refund policy.' }],
        },
        { headers: { 'x-mock-error': '529' } },
      );
    },
    async () => {
      count('mock-stream-error');
      streamed++;
      const stream = await openai.chat.completions.create({
        model: 'mock-stream-error',
        messages: [{ role: 'user', content: 'This stream is cut after two events.' }],
        stream: true,
      });
      for await (const _chunk of stream) {
        // the connection drops part-way: the span records the error
      }
    },
  ];
  for (const call of errorCalls) await failed(call);
  log(`sent ${errorCalls.length} calls that fail (429, 500, 503, Anthropic 529, a cut stream)`);

  // Every span must be stored before feedback, model owners and the drift run refer to them.
  await flush();
  const delivery = getDeliveryStats();

  // 7. User feedback on the agent's answers.
  let stored = 0;
  let notStoredReason: string | null = null;
  for (const t of feedbackTargets) {
    const result = await recordFeedback(
      { traceId: t.traceId, spanId: t.spanId },
      t.score === 1
        ? { score: 1, label: 'helpful' }
        : { score: 0, label: 'unhelpful', comment: 'did not answer my question' },
    );
    if (result.ok) stored++;
    else if (notStoredReason === null) {
      notStoredReason = /404/.test(result.reason)
        ? 'this collector has no /api/feedback yet (404)'
        : result.reason;
    }
  }
  log(
    `sent ${feedbackTargets.length} feedback scores (${stored} stored${notStoredReason === null ? '' : `; ${notStoredReason}`})`,
  );

  // 8. Who owns which model, for the Models page.
  for (const [model, meta] of Object.entries(MODEL_OWNERS)) {
    await api('PUT', `/api/models/${encodeURIComponent(model)}`, meta);
  }

  // 9. The drift monitor on gpt-4o-mini latency and a drift alert rule on it. PUT creates or
  // replaces, so a rerun moves the reference window to this run's first calls.
  await api('PUT', `/api/drift/monitors/${DEMO_MONITOR_ID}`, {
    name: `${DRIFT_MODEL} latency`,
    feature: 'latency',
    filters: { model: DRIFT_MODEL, operation: 'chat' },
    method: 'psi',
    threshold: PSI_THRESHOLD,
    referenceWindow: { type: 'fixed', from: iso(referenceFromMs), to: iso(shiftFromMs) },
    currentWindow: { windowSec: CURRENT_WINDOW_SEC },
    schedule: { everySec: 3600 },
    minSamples: 20,
  });
  await api('PUT', `/api/alerts/rules/${DEMO_RULE_ID}`, {
    name: `${DRIFT_MODEL} latency drifted`,
    metric: 'drift',
    monitorId: DEMO_MONITOR_ID,
    windowSec: 600,
    comparator: '>=',
    threshold: PSI_THRESHOLD,
    minCalls: 20,
  });
  log(`drift monitor ${DEMO_MONITOR_ID} and alert rule ${DEMO_RULE_ID} are in place`);

  const runAtMs = Math.floor(shiftToMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS + MINUTE_MARGIN_MS;
  const waitMs = runAtMs - Date.now();
  if (waitMs > 0) {
    log(
      `waiting ${Math.ceil(waitMs / 1000)} s for the minute to close (monitors compare whole minutes)…`,
    );
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  const driftRun = (await api(
    'POST',
    `/api/drift/monitors/${DEMO_MONITOR_ID}/run`,
  )) as DemoDriftRun;
  log(
    `drift run: ${driftRun.method} ${fmt(driftRun.statistic)} -> ${driftRun.drifted ? 'DRIFT' : 'no drift'} (${driftRun.reference.size} reference vs ${driftRun.current.size} current calls)`,
  );

  const firstTrace = traceIds[0] ?? '';
  return {
    callsByModel,
    errors,
    streamed,
    traceIds,
    feedback: { sent: feedbackTargets.length, stored, notStoredReason },
    driftRun,
    spans: { exported: delivery.exported, dropped: delivery.dropped },
    urls: {
      overview: `${endpoint}/`,
      calls: `${endpoint}/calls`,
      trace: `${endpoint}/traces/${firstTrace}`,
      models: `${endpoint}/models`,
      alerts: `${endpoint}/alerts`,
      drift: `${endpoint}/drift`,
    },
  };
}

const CHURN_MODEL = 'churn-risk-v2';

/** A hand-set logistic model: more tickets and a longer absence mean more churn risk. */
function predictChurn(f: {
  ordersLast90d: number;
  ticketsLast30d: number;
  daysSinceLogin: number;
}): { churn: number } {
  const z = -1.2 - 0.35 * f.ordersLast90d + 0.6 * f.ticketsLast30d + 0.05 * f.daysSinceLogin;
  return { churn: 1 / (1 + Math.exp(-z)) };
}

const LOOKUP_ORDER_TOOL: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'lookup_order',
    description: 'Find an order and its delivery status.',
    parameters: {
      type: 'object',
      properties: { orderId: { type: 'string' } },
      required: ['orderId'],
    },
  },
};

function lookupOrder(args: string): { orderId: string; status: string; eta: string } {
  let orderId = 'unknown';
  try {
    const parsed = JSON.parse(args) as { orderId?: unknown };
    if (typeof parsed.orderId === 'string') orderId = parsed.orderId;
  } catch {
    // a model may send broken JSON; the tool still answers
  }
  return { orderId, status: 'shipped', eta: '2 days' };
}

const MODEL_OWNERS: Record<string, { owner: string; purpose: string; onFailure: string }> = {
  'gpt-4o-mini': {
    owner: 'support-platform team',
    purpose: 'First answer to customer questions in the support chat.',
    onFailure: 'Fall back to gpt-4o; page the support-platform on-call after 5 minutes.',
  },
  'gpt-4o': {
    owner: 'support-platform team',
    purpose: 'The support agent: order look-ups with tools, streamed replies.',
    onFailure: 'Hand the conversation to a human agent.',
  },
  'claude-sonnet-4': {
    owner: 'agent-experience team',
    purpose: 'Conversation summaries for the next human agent.',
    onFailure: 'Skip the summary; agents read the transcript.',
  },
  [CHURN_MODEL]: {
    owner: 'data science',
    purpose: 'Churn risk score shown to agents.',
    onFailure: 'Hide the score.',
  },
};

/** JSON over the collector's HTTP API; a non-2xx answer throws with the collector's message. */
function collectorApi(endpoint: string) {
  return async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${endpoint}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return text === '' ? null : JSON.parse(text);
  };
}

/** The SDK's few warnings go to the demo's log, prefixed. */
function quietLogger(log: (line: string) => void): Logger {
  return { warn: (message) => log(`sdk: ${message}`) };
}

const fmt = (v: number | string | null): string =>
  typeof v === 'number' ? v.toFixed(3) : String(v);
const iso = (ms: number) => new Date(ms).toISOString();
