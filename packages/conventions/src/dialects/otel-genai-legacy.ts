// OpenTelemetry GenAI semantic conventions <= 1.36: `gen_ai.system`, the
// `prompt_tokens`/`completion_tokens` names of <= 1.26, per-message events
// (`gen_ai.system.message`, `gen_ai.user.message`, `gen_ai.assistant.message`,
// `gen_ai.tool.message`, `gen_ai.choice`), and the older `gen_ai.prompt` /
// `gen_ai.completion` (span attributes or `gen_ai.content.prompt` /
// `gen_ai.content.completion` events holding JSON).
import { OperationName } from '../attributes.js';
import type { JsonValue } from '../json.js';
import type { SpanEventInput, SpanInput } from '../normalize.js';
import {
  type ChatMessage,
  fromOpenAIMessage,
  fromResponseBody,
  fromSemconvMessages,
} from './messages.js';
import { isRecord, parseJson, type Warnings } from './read.js';
import { type Dialect, type FieldTable, readTable } from './types.js';

/** Attribute and event names of semconv <= 1.36 that differ from the current ones. */
export const LegacyGenAI = {
  SYSTEM: 'gen_ai.system',
  USAGE_PROMPT_TOKENS: 'gen_ai.usage.prompt_tokens',
  USAGE_COMPLETION_TOKENS: 'gen_ai.usage.completion_tokens',
  PROMPT: 'gen_ai.prompt',
  COMPLETION: 'gen_ai.completion',
  EVENT_SYSTEM_MESSAGE: 'gen_ai.system.message',
  EVENT_USER_MESSAGE: 'gen_ai.user.message',
  EVENT_ASSISTANT_MESSAGE: 'gen_ai.assistant.message',
  EVENT_TOOL_MESSAGE: 'gen_ai.tool.message',
  EVENT_CHOICE: 'gen_ai.choice',
  EVENT_CONTENT_PROMPT: 'gen_ai.content.prompt',
  EVENT_CONTENT_COMPLETION: 'gen_ai.content.completion',
  /** Where some exporters put an event's body when it becomes a span event. */
  EVENT_BODY: 'gen_ai.event.content',
} as const;

/** The mapping table of semconv <= 1.36. */
export const OTEL_GENAI_LEGACY_TABLE = {
  operation: ['gen_ai.operation.name'],
  provider: [LegacyGenAI.SYSTEM],
  model: ['gen_ai.request.model'],
  responseModel: ['gen_ai.response.model'],
  responseId: ['gen_ai.response.id'],
  finishReasons: ['gen_ai.response.finish_reasons'],
  inputTokens: ['gen_ai.usage.input_tokens', LegacyGenAI.USAGE_PROMPT_TOKENS],
  outputTokens: ['gen_ai.usage.output_tokens', LegacyGenAI.USAGE_COMPLETION_TOKENS],
} as const satisfies FieldTable;

/**
 * Operations a span name may start with (`chat gpt-4o-mini`): the name the conventions
 * give GenAI spans, `{gen_ai.operation.name} {gen_ai.request.model}`. Read only when
 * `gen_ai.operation.name` is absent, as on spans from before it was defined.
 */
const SPAN_NAME_OPERATIONS: ReadonlySet<string> = new Set([
  OperationName.CHAT,
  OperationName.TEXT_COMPLETION,
  OperationName.GENERATE_CONTENT,
  OperationName.EMBEDDINGS,
  OperationName.EXECUTE_TOOL,
  OperationName.INVOKE_AGENT,
  OperationName.CREATE_AGENT,
]);

/** The operation a span's name starts with, or null. */
export function operationFromSpanName(name: string): string | null {
  const head = name.trim().split(/\s+/, 1)[0] ?? '';
  return SPAN_NAME_OPERATIONS.has(head) ? head : null;
}

const MESSAGE_EVENTS: Readonly<Record<string, string>> = {
  [LegacyGenAI.EVENT_SYSTEM_MESSAGE]: 'system',
  [LegacyGenAI.EVENT_USER_MESSAGE]: 'user',
  [LegacyGenAI.EVENT_ASSISTANT_MESSAGE]: 'assistant',
  [LegacyGenAI.EVENT_TOOL_MESSAGE]: 'tool',
};

/** An event's body: its attributes, or the JSON object an exporter put in one attribute. */
function eventBody(event: SpanEventInput): { [key: string]: JsonValue } {
  for (const key of [LegacyGenAI.EVENT_BODY, 'event.body', 'body']) {
    const v = event.attributes[key];
    const parsed = typeof v === 'string' ? parseJson(v) : v;
    if (isRecord(parsed)) return { ...event.attributes, ...parsed };
  }
  return event.attributes;
}

function fromEvents(span: SpanInput): {
  input: ChatMessage[] | null;
  output: ChatMessage[] | null;
} {
  const input: ChatMessage[] = [];
  const output: ChatMessage[] = [];
  for (const event of span.events) {
    const role = MESSAGE_EVENTS[event.name];
    if (role !== undefined) {
      const body = eventBody(event);
      const tool: { [key: string]: JsonValue } =
        role === 'tool' ? { tool_call_id: body.id ?? body.tool_call_id ?? null } : {};
      input.push(
        fromOpenAIMessage({
          ...body,
          role: typeof body.role === 'string' ? body.role : role,
          ...tool,
        }),
      );
    } else if (event.name === LegacyGenAI.EVENT_CHOICE) {
      const body = eventBody(event);
      const msg = typeof body.message === 'string' ? parseJson(body.message) : body.message;
      const finish = typeof body.finish_reason === 'string' ? body.finish_reason : null;
      output.push(fromOpenAIMessage({ role: 'assistant', ...(isRecord(msg) ? msg : {}) }, finish));
    }
  }
  return { input: input.length ? input : null, output: output.length ? output : null };
}

/** `gen_ai.prompt` / `gen_ai.completion`: JSON lists of OpenAI-style messages or choices. */
function fromJsonAttribute(
  attrs: Record<string, JsonValue>,
  key: string,
  kind: 'input' | 'output',
  w: Warnings,
): ChatMessage[] | null {
  const v = attrs[key];
  if (v === undefined) return null;
  const parsed = typeof v === 'string' ? parseJson(v) : v;
  if (parsed === undefined) {
    // Plain text is what some instrumentations put here.
    return kind === 'input'
      ? fromSemconvMessages([{ role: 'user', content: String(v) }], key, w)
      : fromSemconvMessages([{ role: 'assistant', content: String(v) }], key, w);
  }
  if (kind === 'output') {
    if (Array.isArray(parsed) && parsed.some((c) => isRecord(c) && isRecord(c.message))) {
      return fromResponseBody({ choices: parsed });
    }
    if (isRecord(parsed) && Array.isArray(parsed.choices)) return fromResponseBody(parsed);
    if (Array.isArray(parsed)) {
      return fromSemconvMessages(
        parsed.map((m) => (isRecord(m) ? { role: 'assistant', ...m } : m)),
        key,
        w,
      );
    }
  }
  if (Array.isArray(parsed)) return fromSemconvMessages(parsed, key, w);
  if (typeof parsed === 'string')
    return fromJsonAttribute({ [key]: JSON.stringify(parsed) }, key, kind, w);
  w.add(`${key}: expected a list of messages`);
  return null;
}

function fromContentEvents(span: SpanInput, w: Warnings) {
  let input: ChatMessage[] | null = null;
  let output: ChatMessage[] | null = null;
  for (const event of span.events) {
    if (event.name === LegacyGenAI.EVENT_CONTENT_PROMPT) {
      input = fromJsonAttribute(event.attributes, LegacyGenAI.PROMPT, 'input', w);
    } else if (event.name === LegacyGenAI.EVENT_CONTENT_COMPLETION) {
      output = fromJsonAttribute(event.attributes, LegacyGenAI.COMPLETION, 'output', w);
    }
  }
  return { input, output };
}

const EVENT_NAMES = new Set<string>([
  ...Object.keys(MESSAGE_EVENTS),
  LegacyGenAI.EVENT_CHOICE,
  LegacyGenAI.EVENT_CONTENT_PROMPT,
  LegacyGenAI.EVENT_CONTENT_COMPLETION,
]);

export const otelGenAILegacy: Dialect = {
  name: 'otel-genai-legacy',
  table: OTEL_GENAI_LEGACY_TABLE,
  cacheCounting: 'inside',
  detect(span: SpanInput): boolean {
    const a = span.attributes;
    return (
      a[LegacyGenAI.SYSTEM] !== undefined ||
      a[LegacyGenAI.USAGE_PROMPT_TOKENS] !== undefined ||
      a[LegacyGenAI.USAGE_COMPLETION_TOKENS] !== undefined ||
      a[LegacyGenAI.PROMPT] !== undefined ||
      a[LegacyGenAI.COMPLETION] !== undefined ||
      span.events.some((e) => EVENT_NAMES.has(e.name))
    );
  },
  extract(span: SpanInput, w: Warnings) {
    const a = span.attributes;
    const events = fromEvents(span);
    const content = fromContentEvents(span, w);
    const fields = readTable(OTEL_GENAI_LEGACY_TABLE, a, w);
    if (fields.operation === undefined) {
      const named = operationFromSpanName(span.name);
      if (named !== null) fields.operation = named;
    }
    return {
      ...fields,
      input: events.input ?? content.input ?? fromJsonAttribute(a, LegacyGenAI.PROMPT, 'input', w),
      output:
        events.output ??
        content.output ??
        fromJsonAttribute(a, LegacyGenAI.COMPLETION, 'output', w),
    };
  },
};
