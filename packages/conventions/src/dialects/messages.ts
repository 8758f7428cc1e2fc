// The one message shape every dialect is converted to: the GenAI semantic
// conventions' JSON messages (>= 1.37), so the dashboard shows prompts the same way
// whichever instrumentation sent them.
import type { JsonValue } from '../json.js';
import { canonicalFinishReason } from './providers.js';
import { isRecord, parseJson, type Warnings } from './read.js';

/** A part of a canonical message (semconv `gen_ai.input.messages` part types). */
export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id: string | null; name: string; arguments: JsonValue }
  | { type: 'tool_call_response'; id: string | null; response: JsonValue }
  | { type: 'reasoning'; content: string }
  | { type: 'uri'; modality: string; uri: string }
  | { type: 'blob'; modality: string; mime_type: string | null; content: string };

/**
 * A canonical message. Input messages have `role` and `parts`; output messages
 * also have `finish_reason` when it is known.
 *
 * @example
 * { role: 'assistant', parts: [{ type: 'text', content: 'Paris.' }], finish_reason: 'stop' }
 */
export type ChatMessage = {
  role: string;
  parts: MessagePart[];
  name?: string;
  finish_reason?: string;
};

type Obj = { [key: string]: JsonValue };

const asString = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);

/** Tool-call arguments: a JSON string is decoded so every dialect yields the same value. */
export function toArguments(v: JsonValue | undefined): JsonValue {
  if (v === undefined) return null;
  if (typeof v === 'string') {
    const parsed = v.trim() === '' ? undefined : parseJson(v);
    return parsed === undefined ? v : parsed;
  }
  return v;
}

export const textPart = (content: string): MessagePart => ({ type: 'text', content });

export const toolCallPart = (
  id: string | null,
  name: string,
  args: JsonValue | undefined,
): MessagePart => ({
  type: 'tool_call',
  id,
  name,
  arguments: toArguments(args),
});

function mediaPart(url: string, modality: string): MessagePart {
  const data = /^data:([^;,]+)?(?:;base64)?,(.*)$/s.exec(url);
  if (data) return { type: 'blob', modality, mime_type: data[1] ?? null, content: data[2] ?? '' };
  return { type: 'uri', modality, uri: url };
}

/** Builds a message, leaving out absent optional keys (so equal calls compare equal). */
export function message(
  role: string,
  parts: MessagePart[],
  extra: { name?: string | null; finishReason?: string | null } = {},
): ChatMessage {
  const m: ChatMessage = { role, parts };
  if (extra.name) m.name = extra.name;
  if (extra.finishReason) m.finish_reason = canonicalFinishReason(extra.finishReason);
  return m;
}

/** OpenAI chat content: a string, or a list of `{type:'text',text}` / image / audio parts. */
export function openAIContentParts(content: JsonValue | undefined): MessagePart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [textPart(content)];
  if (!Array.isArray(content)) return [textPart(JSON.stringify(content))];
  const parts: MessagePart[] = [];
  for (const p of content) {
    if (typeof p === 'string') parts.push(textPart(p));
    else if (isRecord(p)) {
      const text = asString(p.text) ?? asString(p.content);
      if (
        (p.type === 'text' || p.type === 'input_text' || p.type === 'output_text') &&
        text !== null
      ) {
        parts.push(textPart(text));
      } else if (p.type === 'image_url') {
        const iu = p.image_url;
        const url = isRecord(iu) ? asString(iu.url) : asString(iu);
        if (url !== null) parts.push(mediaPart(url, 'image'));
      } else if (p.type === 'refusal' && asString(p.refusal) !== null) {
        parts.push(textPart(asString(p.refusal) ?? ''));
      } else if (text !== null) {
        parts.push(textPart(text));
      }
    }
  }
  return parts;
}

/** OpenAI `tool_calls`: `[{ id, type: 'function', function: { name, arguments } }]`. */
export function openAIToolCallParts(toolCalls: JsonValue | undefined): MessagePart[] {
  if (!Array.isArray(toolCalls)) return [];
  const parts: MessagePart[] = [];
  for (const tc of toolCalls) {
    if (!isRecord(tc)) continue;
    const fn = isRecord(tc.function) ? tc.function : tc;
    const name = asString(fn.name);
    if (name !== null) parts.push(toolCallPart(asString(tc.id), name, fn.arguments));
  }
  return parts;
}

/** One OpenAI chat message (`{ role, content, tool_calls, tool_call_id, name }`). */
export function fromOpenAIMessage(m: Obj, finishReason?: string | null): ChatMessage {
  const role = asString(m.role) ?? 'user';
  if (role === 'tool' || role === 'function') {
    const response = m.content === undefined ? null : m.content;
    return message('tool', [
      { type: 'tool_call_response', id: asString(m.tool_call_id), response },
    ]);
  }
  const parts = [...openAIContentParts(m.content), ...openAIToolCallParts(m.tool_calls)];
  if (isRecord(m.function_call)) {
    const name = asString(m.function_call.name);
    if (name !== null) parts.push(toolCallPart(null, name, m.function_call.arguments));
  }
  return message(role, parts, { name: asString(m.name), finishReason: finishReason ?? null });
}

/**
 * Reads a value already in the semconv shape, tolerating the OpenAI shape
 * (`content` instead of `parts`) that older instrumentations put in the same place.
 * Returns null, with a warning, when it is not a list of messages.
 */
export function fromSemconvMessages(
  value: JsonValue,
  key: string,
  w: Warnings,
): ChatMessage[] | null {
  if (!Array.isArray(value)) {
    w.add(`${key}: expected a list of messages`);
    return null;
  }
  const out: ChatMessage[] = [];
  for (const m of value) {
    if (!isRecord(m)) {
      w.add(`${key}: a message is not an object, ignored`);
      continue;
    }
    if (!Array.isArray(m.parts)) {
      out.push(fromOpenAIMessage(m, asString(m.finish_reason)));
      continue;
    }
    const parts: MessagePart[] = [];
    for (const p of m.parts) {
      const part = semconvPart(p);
      if (part !== null) parts.push(part);
    }
    out.push(
      message(asString(m.role) ?? 'user', parts, {
        name: asString(m.name),
        finishReason: asString(m.finish_reason),
      }),
    );
  }
  return out;
}

function semconvPart(p: JsonValue): MessagePart | null {
  if (typeof p === 'string') return textPart(p);
  if (!isRecord(p)) return null;
  const content = asString(p.content) ?? asString(p.text);
  switch (p.type) {
    case 'text':
      return content === null ? null : textPart(content);
    case 'reasoning':
    case 'thinking':
      return content === null ? null : { type: 'reasoning', content };
    case 'tool_call':
      return toolCallPart(asString(p.id), asString(p.name) ?? '', p.arguments);
    case 'tool_call_response':
      return {
        type: 'tool_call_response',
        id: asString(p.id),
        response: p.response ?? p.result ?? null,
      };
    case 'uri':
      return {
        type: 'uri',
        modality: asString(p.modality) ?? 'unknown',
        uri: asString(p.uri) ?? '',
      };
    case 'blob':
      return {
        type: 'blob',
        modality: asString(p.modality) ?? 'unknown',
        mime_type: asString(p.mime_type),
        content: asString(p.content) ?? '',
      };
    default:
      return content === null ? null : textPart(content);
  }
}

/** Semconv `gen_ai.system_instructions`: a list of parts (or a plain string). */
export function systemMessage(value: JsonValue): ChatMessage | null {
  if (typeof value === 'string') return value === '' ? null : message('system', [textPart(value)]);
  const list = Array.isArray(value) ? value : [value];
  const parts = list.map(semconvPart).filter((p): p is MessagePart => p !== null);
  return parts.length === 0 ? null : message('system', parts);
}

/**
 * Vercel AI SDK messages (`ai.prompt.messages`, the `messages` of `ai.prompt`):
 * content is a string or parts `text`, `image`, `file`, `reasoning`, `tool-call`
 * (`toolCallId`, `toolName`, `input` or v4 `args`), `tool-result` (`output` or v4 `result`).
 */
export function fromVercelMessages(
  value: JsonValue,
  key: string,
  w: Warnings,
): ChatMessage[] | null {
  if (!Array.isArray(value)) {
    w.add(`${key}: expected a list of messages`);
    return null;
  }
  const out: ChatMessage[] = [];
  for (const m of value) {
    if (!isRecord(m)) continue;
    const role = asString(m.role) ?? 'user';
    if (!Array.isArray(m.content)) {
      out.push(message(role, openAIContentParts(m.content)));
      continue;
    }
    const parts: MessagePart[] = [];
    for (const p of m.content) {
      if (!isRecord(p)) continue;
      const text = asString(p.text);
      if (p.type === 'text' && text !== null) parts.push(textPart(text));
      else if (p.type === 'reasoning' && text !== null)
        parts.push({ type: 'reasoning', content: text });
      else if (p.type === 'tool-call') {
        parts.push(
          toolCallPart(asString(p.toolCallId), asString(p.toolName) ?? '', p.input ?? p.args),
        );
      } else if (p.type === 'tool-result') {
        let response = p.output ?? p.result ?? null;
        // AI SDK 5 wraps results as { type: 'json' | 'text', value }.
        if (isRecord(response) && 'value' in response && typeof response.type === 'string') {
          response = response.value ?? null;
        }
        parts.push({ type: 'tool_call_response', id: asString(p.toolCallId), response });
      } else if (p.type === 'image' || p.type === 'file') {
        const data = asString(p.image) ?? asString(p.data) ?? asString(p.url);
        const mime = asString(p.mediaType) ?? asString(p.mimeType);
        const modality = p.type === 'image' || mime?.startsWith('image/') ? 'image' : 'file';
        if (data !== null) {
          parts.push(
            /^[a-z]+:/i.test(data) && !data.startsWith('data:')
              ? { type: 'uri', modality, uri: data }
              : {
                  type: 'blob',
                  modality,
                  mime_type: mime,
                  content: data.replace(/^data:[^,]*,/, ''),
                },
          );
        }
      }
    }
    out.push(message(role, parts));
  }
  return out;
}

/**
 * An OpenAI request body's messages or prompt (what `input.value` or `ai.prompt`
 * may hold): `{ messages: [...] }`, `{ prompt: '...' }`, `{ system, prompt, messages }`.
 */
export function fromRequestBody(body: JsonValue, key: string, w: Warnings): ChatMessage[] | null {
  if (typeof body === 'string') return [message('user', [textPart(body)])];
  if (Array.isArray(body)) return fromSemconvMessages(body, key, w);
  if (!isRecord(body)) return null;
  const out: ChatMessage[] = [];
  const system = asString(body.system);
  if (system !== null) out.push(message('system', [textPart(system)]));
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) if (isRecord(m)) out.push(fromOpenAIMessage(m));
  }
  if (typeof body.prompt === 'string') out.push(message('user', [textPart(body.prompt)]));
  else if (Array.isArray(body.prompt)) {
    const converted = fromVercelMessages(body.prompt, key, w);
    if (converted) out.push(...converted);
  }
  if (typeof body.input === 'string') out.push(message('user', [textPart(body.input)]));
  return out.length === 0 ? null : out;
}

/** An OpenAI chat completion response body (`output.value`): its choices as output messages. */
export function fromResponseBody(body: JsonValue): ChatMessage[] | null {
  if (typeof body === 'string') return [message('assistant', [textPart(body)])];
  if (!isRecord(body)) return null;
  if (Array.isArray(body.choices)) {
    const out: ChatMessage[] = [];
    for (const choice of body.choices) {
      if (!isRecord(choice)) continue;
      const finish = asString(choice.finish_reason);
      if (isRecord(choice.message))
        out.push(fromOpenAIMessage({ role: 'assistant', ...choice.message }, finish));
      else if (typeof choice.text === 'string') {
        out.push(message('assistant', [textPart(choice.text)], { finishReason: finish }));
      }
    }
    return out.length === 0 ? null : out;
  }
  return null;
}
