// The official `openai` client, wrapped by @pilotlight/sdk, answering one question twice (plain
// and streaming) inside one parent span, so both model calls share a trace in the collector.
//
//   npm start                 # the collector, in another terminal
//   npm run example:openai    # this file
//
// Offline by default: the calls go to a mock OpenAI server started in this process. To call the
// real API instead, set OPENAI_API_KEY (and OPENAI_BASE_URL for another compatible provider).
import { trace } from '@opentelemetry/api';
import { startMockModelServer } from '@pilotlight/mock-model-server';
import { init, shutdown, traceCall, wrapOpenAI } from '@pilotlight/sdk';
import OpenAI from 'openai';

/** Where the collector listens unless PILOTLIGHT_ENDPOINT says otherwise. */
const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';
/** How long to wait for the collector's health check before giving up. */
const HEALTH_TIMEOUT_MS = 3_000;
const QUESTION = 'What is the capital of France?';

const endpoint = (process.env.PILOTLIGHT_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');

if (!(await collectorIsUp(endpoint))) {
  console.error(
    `✖ Cannot reach the pilotlight collector at ${endpoint}.\n` +
      '  Start it in another terminal with `npm start` (from the repository root),\n' +
      '  or set PILOTLIGHT_ENDPOINT to where it listens.',
  );
  process.exit(1);
}

const useRealApi = Boolean(process.env.OPENAI_API_KEY);
const mock = useRealApi ? undefined : await startMockModelServer();
const model = process.env.OPENAI_MODEL ?? (useRealApi ? 'gpt-4o-mini' : 'gpt-4o');

init({ endpoint, serviceName: 'example-openai-chat' });

// With no options the client reads OPENAI_API_KEY and OPENAI_BASE_URL itself.
const openai = wrapOpenAI(
  mock ? new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'mock-key' }) : new OpenAI(),
);

let traceId = '';
let exitCode = 0;
try {
  const answers = await traceCall(
    'answer-question',
    async () => {
      traceId = trace.getActiveSpan()?.spanContext().traceId ?? '';
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'system', content: 'Answer in one short sentence.' },
        { role: 'user', content: QUESTION },
      ];
      const plain = await openai.chat.completions.create({ model, messages });

      const stream = await openai.chat.completions.create({
        model,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      let streamed = '';
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';

      return { plain: plain.choices[0]?.message.content ?? '', streamed };
    },
    // A pipeline step, not a model of its own: its children are the two model calls.
    { input: QUESTION, kind: 'chain' },
  );
  console.log(`model:     ${model}${mock ? ` (mock server at ${mock.url})` : ''}`);
  console.log(`plain:     ${answers.plain}`);
  console.log(`streamed:  ${answers.streamed}`);
} catch (error) {
  console.error('✖ The model call failed:', error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  // Delivers every buffered span before the process goes.
  await shutdown();
  await mock?.close();
}

if (traceId !== '') {
  console.log(`trace id:  ${traceId}`);
  console.log(`trace:     ${endpoint}/api/traces/${traceId}`);
  console.log(`spans:     ${endpoint}/api/spans?traceId=${traceId}`);
  const stored = await storedSpanCount(endpoint, traceId);
  if (stored > 0) {
    console.log(`✔ The collector stored ${stored} spans for this trace.`);
  } else {
    console.error(`✖ The collector at ${endpoint} has no spans for trace ${traceId}.`);
    exitCode = 1;
  }
}
process.exitCode = exitCode;

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
