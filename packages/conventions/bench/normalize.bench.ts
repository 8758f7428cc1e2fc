// normalizeSpan on the collector's ingest path: one call per span received.
// Run: cd packages/conventions && npx vitest bench --run
import { bench, describe } from 'vitest';
import { normalizeSpan } from '../src/index.js';
import { span } from '../test/fixtures/spans.js';

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

const openinferenceAttrs: Record<string, string | number> = {
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
for (let i = 0; i < 10; i++) {
  openinferenceAttrs[`llm.input_messages.${i}.message.role`] = i % 2 ? 'assistant' : 'user';
  openinferenceAttrs[`llm.input_messages.${i}.message.content`] = 'word '.repeat(50);
}
const openinference = span(openinferenceAttrs);

const http = span({
  'http.request.method': 'POST',
  'url.path': '/api/orders',
  'http.response.status_code': 200,
  'server.address': 'shop.internal',
  'user_agent.original': 'curl/8',
});

describe('normalizeSpan', () => {
  bench('semconv 1.37 chat span, 2.5 kB of messages', () => {
    normalizeSpan(semconv);
  });
  bench('OpenInference span, 10 flattened input messages', () => {
    normalizeSpan(openinference);
  });
  bench('non-GenAI span (HTTP server)', () => {
    normalizeSpan(http);
  });
});
