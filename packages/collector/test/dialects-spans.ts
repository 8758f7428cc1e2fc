// Hand-built spans of one real chat call, in each layout an instrumentation may use:
// GenAI semconv >= 1.37, semconv <= 1.36 (attributes, per-message events, and the
// older gen_ai.prompt / gen_ai.completion), OpenLLMetry's flattened messages and the
// Vercel AI SDK's provider-call span. Built from the request the client sent and the
// answer the mock model server gave, never from what a normaliser expects.
import type { Attributes } from '@opentelemetry/api';
import { MODEL, QUESTION, SYSTEM } from './dialects-harness.js';

/** What happened in the call, as the client saw it. */
export interface ObservedCall {
  responseId: string;
  responseModel: string;
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** Cached prompt tokens the server reported (part of `promptTokens`, as OpenAI counts). */
  cachedTokens: number;
  /** Time to the first streamed chunk; null for a call that was not streamed. */
  ttftMs: number | null;
}

/** A span event: name, attributes, and its offset from the span start. */
export interface EventSpec {
  name: string;
  attributes: Attributes;
  offsetMs: number;
}

/** One dialect's layout of a call: span name, scope, attributes, events. */
export interface SpanSpec {
  name: string;
  scope: string;
  attributes: Attributes;
  events: EventSpec[];
}

/** The hand-built layouts, by the `sourceDialect` the collector must report. */
export interface HandBuiltDialect {
  /** Test label. */
  label: string;
  sourceDialect: string;
  /** Whether the layout carries a time to first chunk. */
  sendsTtft: boolean;
  build(call: ObservedCall): SpanSpec;
}

const openAIMessages = [
  { role: 'system', content: SYSTEM },
  { role: 'user', content: QUESTION },
];

/** GenAI semantic conventions >= 1.37. */
export const SEMCONV_137: HandBuiltDialect = {
  label: 'GenAI semconv >= 1.37',
  sourceDialect: 'otel-genai',
  sendsTtft: true,
  build: (c) => ({
    name: `chat ${MODEL}`,
    scope: 'handbuilt-genai-1.37',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': c.responseModel,
      'gen_ai.response.id': c.responseId,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': c.promptTokens,
      'gen_ai.usage.output_tokens': c.completionTokens,
      ...(c.cachedTokens > 0 ? { 'gen_ai.usage.cache_read.input_tokens': c.cachedTokens } : {}),
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: SYSTEM }]),
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: QUESTION }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        { role: 'assistant', parts: [{ type: 'text', content: c.text }], finish_reason: 'stop' },
      ]),
      // Seconds, as the conventions define it.
      ...(c.ttftMs === null ? {} : { 'gen_ai.response.time_to_first_chunk': c.ttftMs / 1000 }),
    },
    events: [],
  }),
};

/** semconv 1.27–1.36: `gen_ai.system`, input/output_tokens, per-message events. */
export const SEMCONV_136_EVENTS: HandBuiltDialect = {
  label: 'GenAI semconv <= 1.36, per-message events',
  sourceDialect: 'otel-genai-legacy',
  sendsTtft: false,
  build: (c) => ({
    name: `chat ${MODEL}`,
    scope: 'handbuilt-genai-1.36',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': c.responseModel,
      'gen_ai.response.id': c.responseId,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': c.promptTokens,
      'gen_ai.usage.output_tokens': c.completionTokens,
    },
    events: [
      {
        name: 'gen_ai.system.message',
        attributes: { 'gen_ai.system': 'openai', content: SYSTEM },
        offsetMs: 0,
      },
      {
        name: 'gen_ai.user.message',
        attributes: { 'gen_ai.system': 'openai', content: QUESTION },
        offsetMs: 0,
      },
      {
        name: 'gen_ai.choice',
        attributes: {
          'gen_ai.system': 'openai',
          index: 0,
          finish_reason: 'stop',
          // Span event attributes cannot nest: the message body travels as JSON.
          message: JSON.stringify({ role: 'assistant', content: c.text }),
        },
        offsetMs: 1,
      },
    ],
  }),
};

/** semconv <= 1.26: `prompt_tokens` / `completion_tokens`, `gen_ai.prompt` / `gen_ai.completion`. */
export const SEMCONV_126_PROMPT: HandBuiltDialect = {
  label: 'GenAI semconv <= 1.36, gen_ai.prompt / gen_ai.completion attributes',
  sourceDialect: 'otel-genai-legacy',
  sendsTtft: false,
  build: (c) => ({
    name: `chat ${MODEL}`,
    scope: 'handbuilt-genai-1.26',
    attributes: {
      'gen_ai.system': 'openai',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': c.responseModel,
      'gen_ai.response.id': c.responseId,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.prompt_tokens': c.promptTokens,
      'gen_ai.usage.completion_tokens': c.completionTokens,
      'gen_ai.prompt': JSON.stringify(openAIMessages),
      'gen_ai.completion': JSON.stringify([
        { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: c.text } },
      ]),
    },
    events: [],
  }),
};

/** semconv <= 1.26 with the content in `gen_ai.content.prompt` / `.completion` events. */
export const SEMCONV_126_CONTENT_EVENTS: HandBuiltDialect = {
  label: 'GenAI semconv <= 1.36, gen_ai.content.prompt / .completion events',
  sourceDialect: 'otel-genai-legacy',
  sendsTtft: false,
  build: (c) => ({
    name: `chat ${MODEL}`,
    scope: 'handbuilt-genai-1.26-events',
    attributes: {
      'gen_ai.system': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': c.responseModel,
      'gen_ai.response.id': c.responseId,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.prompt_tokens': c.promptTokens,
      'gen_ai.usage.completion_tokens': c.completionTokens,
    },
    events: [
      {
        name: 'gen_ai.content.prompt',
        attributes: { 'gen_ai.prompt': JSON.stringify(openAIMessages) },
        offsetMs: 0,
      },
      {
        name: 'gen_ai.content.completion',
        attributes: {
          'gen_ai.completion': JSON.stringify([{ role: 'assistant', content: c.text }]),
        },
        offsetMs: 1,
      },
    ],
  }),
};

/**
 * OpenLLMetry's flattened messages and `llm.*` usage, as its Python packages and the JS
 * ones before 0.2x send them; cached prompt tokens as `gen_ai.usage.cache_read_input_tokens`,
 * part of the prompt count for OpenAI.
 */
export const OPENLLMETRY_FLAT: HandBuiltDialect = {
  label: 'OpenLLMetry flattened gen_ai.prompt.N / gen_ai.completion.N',
  sourceDialect: 'openllmetry',
  sendsTtft: false,
  build: (c) => ({
    name: 'openai.chat',
    scope: 'opentelemetry.instrumentation.openai.v1',
    attributes: {
      'llm.request.type': 'chat',
      'gen_ai.system': 'OpenAI',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': c.responseModel,
      'gen_ai.response.id': c.responseId,
      'llm.is_streaming': c.ttftMs !== null,
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': SYSTEM,
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': QUESTION,
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': c.text,
      'gen_ai.completion.0.finish_reason': 'stop',
      'gen_ai.usage.prompt_tokens': c.promptTokens,
      'gen_ai.usage.completion_tokens': c.completionTokens,
      'llm.usage.total_tokens': c.promptTokens + c.completionTokens,
      ...(c.cachedTokens > 0 ? { 'gen_ai.usage.cache_read_input_tokens': c.cachedTokens } : {}),
    },
    events: [],
  }),
};

/**
 * The Vercel AI SDK's provider-call span (`ai.generateText.doGenerate` /
 * `ai.streamText.doStream`), AI SDK 5 usage names, with the <= 1.36 `gen_ai.*`
 * attributes the SDK adds to it.
 */
export const VERCEL_AI: HandBuiltDialect = {
  label: 'Vercel AI SDK provider-call span',
  sourceDialect: 'vercel-ai',
  sendsTtft: true,
  build: (c) => {
    const operationId = c.ttftMs === null ? 'ai.generateText.doGenerate' : 'ai.streamText.doStream';
    return {
      name: operationId,
      scope: 'ai',
      attributes: {
        'operation.name': operationId,
        'ai.operationId': operationId,
        'ai.model.id': MODEL,
        'ai.model.provider': 'openai.chat',
        'ai.prompt.messages': JSON.stringify([
          { role: 'system', content: SYSTEM },
          { role: 'user', content: [{ type: 'text', text: QUESTION }] },
        ]),
        'ai.response.finishReason': 'stop',
        'ai.response.text': c.text,
        'ai.response.id': c.responseId,
        'ai.response.model': c.responseModel,
        'ai.usage.inputTokens': c.promptTokens,
        'ai.usage.outputTokens': c.completionTokens,
        'ai.usage.totalTokens': c.promptTokens + c.completionTokens,
        ...(c.cachedTokens > 0 ? { 'ai.usage.cachedInputTokens': c.cachedTokens } : {}),
        ...(c.ttftMs === null ? {} : { 'ai.response.msToFirstChunk': c.ttftMs }),
        'gen_ai.system': 'openai.chat',
        'gen_ai.request.model': MODEL,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.response.id': c.responseId,
        'gen_ai.response.model': c.responseModel,
        'gen_ai.usage.input_tokens': c.promptTokens,
        'gen_ai.usage.output_tokens': c.completionTokens,
      },
      events:
        c.ttftMs === null
          ? []
          : [
              {
                name: 'ai.stream.firstChunk',
                attributes: { 'ai.response.msToFirstChunk': c.ttftMs },
                offsetMs: c.ttftMs,
              },
            ],
    };
  },
};

/** Every hand-built layout. */
export const HAND_BUILT: readonly HandBuiltDialect[] = [
  SEMCONV_137,
  SEMCONV_136_EVENTS,
  SEMCONV_126_PROMPT,
  SEMCONV_126_CONTENT_EVENTS,
  OPENLLMETRY_FLAT,
  VERCEL_AI,
];
