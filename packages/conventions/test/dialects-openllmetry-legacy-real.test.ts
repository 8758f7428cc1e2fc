// Real spans of an older OpenLLMetry release (0.22): the flattened gen_ai.prompt.N.* /
// gen_ai.completion.N.* layout with gen_ai.system and llm.* usage, from
// @traceloop/instrumentation-openai@0.22.5 on the real `openai` client against the mock.
import { startMockModelServer } from '@pilotlight/mock-model-server';
import OpenAI from 'openai';
import { OpenAIInstrumentation } from 'traceloop-instrumentation-openai-0.22';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeSpan } from '../src/index.js';
import { CHAT_REQUEST, expectedFields, memoryTracing, toSpanInput } from './fixtures/otel.js';

const { provider, exporter } = memoryTracing();
const instrumentation = new OpenAIInstrumentation({ traceContent: true });
let mock: Awaited<ReturnType<typeof startMockModelServer>>;
let client: OpenAI;

beforeAll(async () => {
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(OpenAI);
  mock = await startMockModelServer();
  client = new OpenAI({ baseURL: mock.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
});

afterAll(async () => {
  instrumentation.disable();
  await mock.close();
  await provider.shutdown();
});

function onlySpan() {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  exporter.reset();
  const [span] = spans;
  if (!span) throw new Error('no span');
  return toSpanInput(span);
}

describe('OpenLLMetry 0.22 (flattened prompt/completion attributes), real spans', () => {
  it('normalises a chat completion to the same canonical fields as the current release', async () => {
    const response = await client.chat.completions.create(CHAT_REQUEST);
    const span = onlySpan();
    expect(span.attributes['gen_ai.prompt.1.content']).toBe(CHAT_REQUEST.messages[1]?.content);
    const fields = normalizeSpan(span);
    const expected = expectedFields(response);
    expect(fields).toMatchObject({ ...expected, sourceDialect: 'openllmetry', warnings: [] });
    expect(fields.input).toEqual(expected.input);
    expect(fields.output).toEqual(expected.output);
  });

  it('normalises a tool call to a canonical tool_call part', async () => {
    const response = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
    });
    const call = response.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('the mock did not call the tool');
    const fields = normalizeSpan(onlySpan());
    expect(fields.finishReasons).toEqual(['tool_call']);
    expect(fields.output).toEqual([
      {
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            // This release records the name and arguments of a tool call, not its id.
            id: null,
            name: 'get_weather',
            arguments: JSON.parse(call.function.arguments),
          },
        ],
        finish_reason: 'tool_call',
      },
    ]);
    expect(fields.warnings).toEqual([]);
  });
});
