// normalizeSpan on the collector's ingest path (one call per span received), and a
// price lookup. `npm run bench -w @pilotlight/conventions`. CPU time (process.cpuUsage)
// per call, median of ROUNDS, so other load on the machine counts less than wall time.
import { createPriceBook, type JsonValue, normalizeSpan, type SpanInput } from '../src/index.js';
import { span } from '../test/fixtures/spans.js';

const CALLS = 20_000;
const ROUNDS = 7;

const PROMPT = 'word '.repeat(500);
const ANSWER = 'word '.repeat(200);

const semconv = span({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o-mini',
  'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
  'gen_ai.response.id': 'chatcmpl-123',
  'gen_ai.response.finish_reasons': ['stop'],
  'gen_ai.usage.input_tokens': 1000,
  'gen_ai.usage.output_tokens': 200,
  'gen_ai.usage.cache_read.input_tokens': 800,
  'gen_ai.input.messages': JSON.stringify([
    { role: 'user', parts: [{ type: 'text', content: PROMPT }] },
  ]),
  'gen_ai.output.messages': JSON.stringify([
    { role: 'assistant', parts: [{ type: 'text', content: ANSWER }], finish_reason: 'stop' },
  ]),
  'server.address': 'api.openai.com',
});

function openinference(messages: number): SpanInput {
  const attrs: Record<string, JsonValue> = {
    'openinference.span.kind': 'LLM',
    'llm.model_name': 'gpt-4o-mini-2024-07-18',
    'llm.invocation_parameters': '{"model":"gpt-4o-mini"}',
    'llm.provider': 'openai',
    'llm.token_count.prompt': 1000,
    'llm.token_count.completion': 200,
    'llm.token_count.prompt_details.cache_read': 800,
    'llm.output_messages.0.message.role': 'assistant',
    'llm.output_messages.0.message.content': ANSWER,
  };
  for (let i = 0; i < messages; i++) {
    attrs[`llm.input_messages.${i}.message.role`] = i % 2 ? 'assistant' : 'user';
    attrs[`llm.input_messages.${i}.message.content`] = 'word '.repeat(50);
  }
  return span(attrs);
}

const oi10 = openinference(10);
const oi100 = openinference(100);
const http = span({
  'http.request.method': 'POST',
  'url.path': '/api/orders',
  'http.response.status_code': 200,
  'server.address': 'shop.internal',
  'user_agent.original': 'curl/8',
});

function cpuMicrosPerCall(calls: number, fn: () => unknown): number {
  for (let i = 0; i < calls / 10; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const used = process.cpuUsage(start);
    rounds.push((used.user + used.system) / calls);
  }
  rounds.sort((x, y) => x - y);
  return rounds[Math.floor(ROUNDS / 2)] ?? Number.NaN;
}

const book = createPriceBook();
let n = 0;
const cases: [string, number, () => unknown][] = [
  ['normalizeSpan: semconv 1.37 chat, 2.5 kB of messages', CALLS, () => normalizeSpan(semconv)],
  ['normalizeSpan: OpenInference, 10 flattened messages', CALLS, () => normalizeSpan(oi10)],
  ['normalizeSpan: OpenInference, 100 flattened messages', CALLS / 10, () => normalizeSpan(oi100)],
  ['normalizeSpan: non-GenAI span (HTTP server)', CALLS, () => normalizeSpan(http)],
  ['PriceBook.find: name seen before', CALLS, () => book.find('gpt-4o-mini-2024-07-18')],
  // A new name each call: the uncached path (candidate names, then map lookups).
  ['PriceBook.find: new name', CALLS, () => book.find(`us.anthropic.claude-x-${n++}-v1:0`)],
];

console.log(`node ${process.version}; median CPU time per call over ${ROUNDS} rounds`);
for (const [label, calls, fn] of cases) {
  const us = cpuMicrosPerCall(calls, fn);
  const perSec = Math.round(1e6 / us).toLocaleString('en-US');
  console.log(`${label.padEnd(56)} ${us.toFixed(2).padStart(8)} µs  (${perSec}/s per core)`);
}
