// OpenInference (Arize, `@arizeai/openinference-*`): `openinference.span.kind`,
// `llm.model_name`, `llm.provider` / `llm.system`, `llm.token_count.*`,
// `input.value` / `output.value` with their mime types, flattened messages
// `llm.input_messages.N.message.*` / `llm.output_messages.N.message.*`, and
// `llm.invocation_parameters` (the request body without its messages, as JSON).
import type { JsonValue } from '../json.js';
import type { SpanInput } from '../normalize.js';
import {
  type ChatMessage,
  fromRequestBody,
  fromResponseBody,
  type MessagePart,
  message,
  textPart,
  toolCallPart,
} from './messages.js';
import { canonicalProvider } from './providers.js';
import {
  groupByIndex,
  indicesUnder,
  isRecord,
  parseJson,
  prefixed,
  readJson,
  readString,
  type Warnings,
} from './read.js';
import { type Dialect, type FieldTable, readTable } from './types.js';

/** OpenInference attribute names (`@arizeai/openinference-semantic-conventions`). */
export const OpenInference = {
  SPAN_KIND: 'openinference.span.kind',
  LLM_MODEL_NAME: 'llm.model_name',
  LLM_REQUEST_MODEL_NAME: 'llm.request.model_name',
  LLM_RESPONSE_MODEL_NAME: 'llm.response.model_name',
  EMBEDDING_MODEL_NAME: 'embedding.model_name',
  LLM_PROVIDER: 'llm.provider',
  LLM_SYSTEM: 'llm.system',
  LLM_INVOCATION_PARAMETERS: 'llm.invocation_parameters',
  LLM_FINISH_REASON: 'llm.finish_reason',
  TOKEN_COUNT_PROMPT: 'llm.token_count.prompt',
  TOKEN_COUNT_COMPLETION: 'llm.token_count.completion',
  TOKEN_COUNT_TOTAL: 'llm.token_count.total',
  TOKEN_COUNT_CACHE_READ: 'llm.token_count.prompt_details.cache_read',
  TOKEN_COUNT_CACHE_WRITE: 'llm.token_count.prompt_details.cache_write',
  TOKEN_COUNT_REASONING: 'llm.token_count.completion_details.reasoning',
  INPUT_VALUE: 'input.value',
  INPUT_MIME_TYPE: 'input.mime_type',
  OUTPUT_VALUE: 'output.value',
  OUTPUT_MIME_TYPE: 'output.mime_type',
  INPUT_MESSAGES: 'llm.input_messages',
  OUTPUT_MESSAGES: 'llm.output_messages',
} as const;

/**
 * The mapping table of OpenInference. Its spec breaks the prompt count down into
 * `prompt_details.cache_read` / `cache_write`, so cache counts are inside the input.
 * `llm.model_name` is the response's model once the call has returned; the request
 * model comes from `llm.invocation_parameters` when it is there (see `extract`).
 */
export const OPENINFERENCE_TABLE = {
  provider: [OpenInference.LLM_PROVIDER],
  model: [
    OpenInference.LLM_REQUEST_MODEL_NAME,
    OpenInference.LLM_MODEL_NAME,
    OpenInference.EMBEDDING_MODEL_NAME,
  ],
  responseModel: [OpenInference.LLM_RESPONSE_MODEL_NAME],
  finishReasons: [OpenInference.LLM_FINISH_REASON],
  inputTokens: [OpenInference.TOKEN_COUNT_PROMPT],
  outputTokens: [OpenInference.TOKEN_COUNT_COMPLETION],
  totalTokens: [OpenInference.TOKEN_COUNT_TOTAL],
  cacheReadInputTokens: [OpenInference.TOKEN_COUNT_CACHE_READ],
  cacheCreationInputTokens: [OpenInference.TOKEN_COUNT_CACHE_WRITE],
  reasoningOutputTokens: [OpenInference.TOKEN_COUNT_REASONING],
} as const satisfies FieldTable;

/** `openinference.span.kind` values mapped to `gen_ai.operation.name` (null: not a model call). */
export const SPAN_KIND_OPERATIONS: Readonly<Record<string, string | null>> = {
  LLM: 'chat',
  EMBEDDING: 'embeddings',
  TOOL: 'execute_tool',
  AGENT: 'invoke_agent',
  CHAIN: null,
  RETRIEVER: null,
  RERANKER: null,
  GUARDRAIL: null,
  EVALUATOR: null,
  PROMPT: null,
};

/**
 * `message_content.type` values holding text: `text` (chat completions), and the
 * Responses API's `input_text` / `output_text`, which the instrumentation copies as is.
 */
const TEXT_CONTENT_TYPES: ReadonlySet<string> = new Set(['text', 'input_text', 'output_text']);

/**
 * The id of a provider response body in `output.value` (a chat completion, a Responses
 * API response, an Anthropic message): OpenInference has no attribute of its own for it.
 */
function responseIdOf(body: JsonValue | null): string | null {
  if (!isRecord(body) || typeof body.id !== 'string' || body.id === '') return null;
  return typeof body.object === 'string' || body.type === 'message' ? body.id : null;
}

function contentsParts(m: Record<string, JsonValue>, w: Warnings): MessagePart[] {
  const parts: MessagePart[] = [];
  for (const [j, c] of groupByIndex(m, 'message.contents')) {
    const cw = prefixed(w, `message.contents.${j}`);
    const type = readString(c, 'message_content.type', cw);
    const text = readString(c, 'message_content.text', cw);
    if ((type === null || TEXT_CONTENT_TYPES.has(type)) && text !== null)
      parts.push(textPart(text));
    else if (type === 'image') {
      const url = readString(c, 'message_content.image.image.url', cw);
      if (url !== null) parts.push({ type: 'uri', modality: 'image', uri: url });
    }
  }
  return parts;
}

function flatMessages(
  a: Record<string, JsonValue>,
  prefix: string,
  w: Warnings,
): ChatMessage[] | null {
  const groups = groupByIndex(a, prefix);
  if (groups.size === 0) return null;
  return [...groups].map(([i, m]) => {
    const mw = prefixed(w, `${prefix}.${i}`);
    const role = readString(m, 'message.role', mw) ?? 'user';
    if (role === 'tool') {
      const id = readString(m, 'message.tool_call_id', mw);
      return message('tool', [
        { type: 'tool_call_response', id, response: m['message.content'] ?? null },
      ]);
    }
    const content = readString(m, 'message.content', mw);
    const parts: MessagePart[] = content === null ? contentsParts(m, mw) : [textPart(content)];
    for (const [j, t] of groupByIndex(m, 'message.tool_calls')) {
      const tw = prefixed(mw, `message.tool_calls.${j}`);
      const name = readString(t, 'tool_call.function.name', tw);
      if (name !== null) {
        parts.push(
          toolCallPart(readString(t, 'tool_call.id', tw), name, t['tool_call.function.arguments']),
        );
      }
    }
    const fnName = readString(m, 'message.function_call_name', mw);
    if (fnName !== null) {
      parts.push(toolCallPart(null, fnName, m['message.function_call_arguments_json']));
    }
    return message(role, parts, { name: readString(m, 'message.name', mw) });
  });
}

/** `input.value` / `output.value`: JSON when the mime type says so (or it parses), else text. */
function readValue(
  a: Record<string, JsonValue>,
  key: string,
  mimeKey: string,
  w: Warnings,
): JsonValue | null {
  const v = a[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') return v;
  const mime = readString(a, mimeKey, w);
  if (mime === 'application/json') return readJson(a, key, w);
  return mime === null && /^[[{]/.test(v) ? (parseJson(v) ?? v) : v;
}

export const openinference: Dialect = {
  name: 'openinference',
  table: OPENINFERENCE_TABLE,
  cacheCounting: 'inside',
  detect(span: SpanInput): boolean {
    const a = span.attributes;
    return (
      a[OpenInference.SPAN_KIND] !== undefined ||
      a[OpenInference.LLM_MODEL_NAME] !== undefined ||
      a[OpenInference.TOKEN_COUNT_PROMPT] !== undefined ||
      indicesUnder(a, OpenInference.INPUT_MESSAGES).length > 0 ||
      span.scopeName?.includes('openinference') === true
    );
  },
  extract(span: SpanInput, w: Warnings) {
    const a = span.attributes;
    const fields = readTable(OPENINFERENCE_TABLE, a, w);
    const system = readString(a, OpenInference.LLM_SYSTEM, w);
    if (fields.provider === undefined && system !== null)
      fields.provider = canonicalProvider(system);
    const kind = readString(a, OpenInference.SPAN_KIND, w)?.toUpperCase();
    fields.operation = kind === undefined ? null : (SPAN_KIND_OPERATIONS[kind] ?? null);

    const params = readJson(a, OpenInference.LLM_INVOCATION_PARAMETERS, w);
    const requested = isRecord(params) && typeof params.model === 'string' ? params.model : null;
    if (requested !== null && a[OpenInference.LLM_REQUEST_MODEL_NAME] === undefined) {
      // llm.model_name was overwritten with the response's model: keep both facts.
      if (
        fields.responseModel === undefined &&
        fields.model !== undefined &&
        fields.model !== requested
      ) {
        fields.responseModel = fields.model;
      }
      fields.model = requested;
    }

    const inputValue = readValue(a, OpenInference.INPUT_VALUE, OpenInference.INPUT_MIME_TYPE, w);
    const outputValue = readValue(a, OpenInference.OUTPUT_VALUE, OpenInference.OUTPUT_MIME_TYPE, w);
    let input: JsonValue | null = flatMessages(a, OpenInference.INPUT_MESSAGES, w);
    let output: JsonValue | null = flatMessages(a, OpenInference.OUTPUT_MESSAGES, w);
    const responseId = responseIdOf(outputValue);
    if (fields.responseId === undefined && responseId !== null) fields.responseId = responseId;
    const response = outputValue === null ? null : fromResponseBody(outputValue);
    if (output === null) output = response;
    else if (response !== null && Array.isArray(output)) {
      // The flattened messages carry no finish reason; the response body does.
      output = (output as ChatMessage[]).map((m, i) =>
        m.finish_reason === undefined && response[i]?.finish_reason !== undefined
          ? { ...m, finish_reason: response[i].finish_reason }
          : m,
      );
    }
    if (input === null && inputValue !== null)
      input = fromRequestBody(inputValue, OpenInference.INPUT_VALUE, w);
    if (fields.operation !== 'chat') {
      // Tools, embeddings, chains: the values as sent, not chat messages.
      input = inputValue;
      output = outputValue;
    }
    return { ...fields, input, output };
  },
};
