/**
 * Conversion of provider requests and responses to the GenAI semantic-convention message
 * format (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`):
 * `{ role, parts: [{ type: 'text', content } | { type: 'tool_call', id, name, arguments } |
 * { type: 'tool_call_response', id, response } | …], finish_reason? }`.
 * Runs in the batch path; every string goes through `text()` (redaction, truncation).
 */

/** One message part per the semantic conventions. */
export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id: string | null; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id: string | null; response: unknown }
  | { type: 'uri'; modality: string; uri: string }
  | { type: 'blob'; modality: string; mime_type: string | null; content: string }
  | { type: string; [key: string]: unknown };

export interface ChatMessage {
  role: string;
  parts: MessagePart[];
  name?: string;
  finish_reason?: string;
}

type Text = (value: string) => string;
type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object';
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** Tool-call arguments arrive as JSON text; keep the parsed object when it parses. */
export function parseArguments(raw: unknown, text: Text): unknown {
  if (typeof raw !== 'string') return redactDeep(raw, text);
  try {
    return redactDeep(JSON.parse(raw), text);
  } catch {
    return text(raw);
  }
}

/** Applies `text` to every string inside a JSON-like value. */
export function redactDeep(value: unknown, text: Text, depth = 0): unknown {
  if (typeof value === 'string') return text(value);
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, text, depth + 1));
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, text, depth + 1);
  return out;
}

// ---- OpenAI Chat Completions ------------------------------------------------------------

function openaiContentParts(content: unknown, text: Text): MessagePart[] {
  if (typeof content === 'string') return [{ type: 'text', content: text(content) }];
  if (!Array.isArray(content)) return [];
  const parts: MessagePart[] = [];
  for (const item of content) {
    if (!isObj(item)) continue;
    if (item.type === 'text' && typeof item.text === 'string')
      parts.push({ type: 'text', content: text(item.text) });
    else if (item.type === 'refusal' && typeof item.refusal === 'string')
      parts.push({ type: 'refusal', content: text(item.refusal) });
    else if (
      item.type === 'image_url' &&
      isObj(item.image_url) &&
      typeof item.image_url.url === 'string'
    ) {
      const url = item.image_url.url;
      parts.push(
        url.startsWith('data:')
          ? {
              type: 'blob',
              modality: 'image',
              mime_type: url.slice(5, url.indexOf(';')) || null,
              content: '[omitted]',
            }
          : { type: 'uri', modality: 'image', uri: text(url) },
      );
    } else if (typeof item.type === 'string') parts.push({ type: item.type });
  }
  return parts;
}

function openaiToolCalls(toolCalls: unknown, text: Text): MessagePart[] {
  if (!Array.isArray(toolCalls)) return [];
  const parts: MessagePart[] = [];
  for (const call of toolCalls) {
    if (!isObj(call)) continue;
    const fn = isObj(call.function) ? call.function : isObj(call.custom) ? call.custom : {};
    parts.push({
      type: 'tool_call',
      id: str(call.id) ?? null,
      name: str(fn.name) ?? '',
      arguments: parseArguments(fn.arguments ?? fn.input, text),
    });
  }
  return parts;
}

/** Chat Completions request messages → semconv input messages. */
export function openaiChatInput(messages: readonly unknown[], text: Text): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    if (!isObj(m)) continue;
    const role = str(m.role) ?? 'user';
    if (role === 'tool') {
      const content = typeof m.content === 'string' ? text(m.content) : redactDeep(m.content, text);
      out.push({
        role,
        parts: [{ type: 'tool_call_response', id: str(m.tool_call_id) ?? null, response: content }],
      });
      continue;
    }
    const parts = openaiContentParts(m.content, text);
    parts.push(...openaiToolCalls(m.tool_calls, text));
    const message: ChatMessage = { role: role === 'developer' ? 'system' : role, parts };
    if (typeof m.name === 'string') message.name = m.name;
    out.push(message);
  }
  return out;
}

/** Chat Completions response choices → semconv output messages. */
export function openaiChatOutput(choices: readonly unknown[], text: Text): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const c of choices) {
    if (!isObj(c)) continue;
    const message = isObj(c.message) ? c.message : {};
    const parts = openaiContentParts(message.content, text);
    if (typeof message.refusal === 'string')
      parts.push({ type: 'refusal', content: text(message.refusal) });
    parts.push(...openaiToolCalls(message.tool_calls, text));
    out.push({
      role: str(message.role) ?? 'assistant',
      parts,
      finish_reason: str(c.finish_reason) ?? 'error',
    });
  }
  return out;
}

/**
 * `JSON.stringify(openaiChatInput(messages, text))`, written directly for the common message
 * (a role and a string content): no message and part objects are built for it, and each
 * string is escaped once. Any other message goes through {@link openaiChatInput}.
 */
export function openaiChatInputJson(messages: readonly unknown[], text: Text): string {
  let s = '[';
  for (const m of messages) {
    if (!isObj(m)) continue;
    let one: string;
    const role = m.role;
    if (
      typeof role === 'string' &&
      role !== 'tool' &&
      typeof m.content === 'string' &&
      m.tool_calls == null
    ) {
      one = `{"role":${JSON.stringify(role === 'developer' ? 'system' : role)},"parts":[{"type":"text","content":${JSON.stringify(text(m.content))}}]`;
      if (typeof m.name === 'string') one += `,"name":${JSON.stringify(m.name)}`;
      one += '}';
    } else one = JSON.stringify(openaiChatInput([m], text)[0]);
    s += s.length === 1 ? one : `,${one}`;
  }
  return `${s}]`;
}

/**
 * `JSON.stringify(openaiChatOutput(choices, text))`, written directly for the common choice (a
 * string content, no refusal, no tool calls); any other choice goes through
 * {@link openaiChatOutput}.
 */
export function openaiChatOutputJson(choices: readonly unknown[], text: Text): string {
  let s = '[';
  for (const c of choices) {
    if (!isObj(c)) continue;
    const message = c.message;
    let one: string;
    if (
      isObj(message) &&
      typeof message.content === 'string' &&
      typeof message.refusal !== 'string' &&
      message.tool_calls == null
    ) {
      const role = typeof message.role === 'string' ? message.role : 'assistant';
      const finish = typeof c.finish_reason === 'string' ? c.finish_reason : 'error';
      one = `{"role":${JSON.stringify(role)},"parts":[{"type":"text","content":${JSON.stringify(text(message.content))}}],"finish_reason":${JSON.stringify(finish)}}`;
    } else one = JSON.stringify(openaiChatOutput([c], text)[0]);
    s += s.length === 1 ? one : `,${one}`;
  }
  return `${s}]`;
}

// ---- OpenAI Responses ---------------------------------------------------------------------

function responsesContentParts(content: unknown, text: Text): MessagePart[] {
  if (typeof content === 'string') return [{ type: 'text', content: text(content) }];
  if (!Array.isArray(content)) return [];
  const parts: MessagePart[] = [];
  for (const item of content) {
    if (!isObj(item)) continue;
    if (
      (item.type === 'input_text' || item.type === 'output_text') &&
      typeof item.text === 'string'
    )
      parts.push({ type: 'text', content: text(item.text) });
    else if (item.type === 'refusal' && typeof item.refusal === 'string')
      parts.push({ type: 'refusal', content: text(item.refusal) });
    else if (
      item.type === 'input_image' &&
      typeof item.image_url === 'string' &&
      !item.image_url.startsWith('data:')
    )
      parts.push({ type: 'uri', modality: 'image', uri: text(item.image_url) });
    else if (typeof item.type === 'string') parts.push({ type: item.type });
  }
  return parts;
}

/** Responses API `input` (string or items) → semconv input messages. */
export function responsesInput(input: unknown, text: Text): ChatMessage[] {
  if (typeof input === 'string')
    return [{ role: 'user', parts: [{ type: 'text', content: text(input) }] }];
  if (!Array.isArray(input)) return [];
  const out: ChatMessage[] = [];
  for (const item of input) {
    if (!isObj(item)) continue;
    if (item.type === 'function_call') {
      out.push({
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: str(item.call_id) ?? null,
            name: str(item.name) ?? '',
            arguments: parseArguments(item.arguments, text),
          },
        ],
      });
    } else if (item.type === 'function_call_output') {
      out.push({
        role: 'tool',
        parts: [
          {
            type: 'tool_call_response',
            id: str(item.call_id) ?? null,
            response: redactDeep(item.output, text),
          },
        ],
      });
    } else if (typeof item.role === 'string') {
      out.push({
        role: item.role === 'developer' ? 'system' : item.role,
        parts: responsesContentParts(item.content, text),
      });
    }
  }
  return out;
}

/** Responses API `output` items → semconv output messages (one assistant message). */
export function responsesOutput(
  output: readonly unknown[],
  finishReason: string,
  text: Text,
): ChatMessage[] {
  const parts: MessagePart[] = [];
  for (const item of output) {
    if (!isObj(item)) continue;
    if (item.type === 'message') parts.push(...responsesContentParts(item.content, text));
    else if (item.type === 'function_call')
      parts.push({
        type: 'tool_call',
        id: str(item.call_id) ?? null,
        name: str(item.name) ?? '',
        arguments: parseArguments(item.arguments, text),
      });
    else if (item.type === 'reasoning' && Array.isArray(item.summary)) {
      for (const s of item.summary)
        if (isObj(s) && typeof s.text === 'string')
          parts.push({ type: 'reasoning', content: text(s.text) });
    } else if (typeof item.type === 'string') parts.push({ type: item.type });
  }
  return [{ role: 'assistant', parts, finish_reason: finishReason }];
}

// ---- Anthropic Messages -------------------------------------------------------------------

/** Anthropic content (string or blocks) → semconv parts. */
export function anthropicParts(content: unknown, text: Text): MessagePart[] {
  if (typeof content === 'string') return [{ type: 'text', content: text(content) }];
  if (!Array.isArray(content)) return [];
  const parts: MessagePart[] = [];
  for (const block of content) {
    if (!isObj(block)) continue;
    switch (block.type) {
      case 'text':
        if (typeof block.text === 'string') parts.push({ type: 'text', content: text(block.text) });
        break;
      case 'thinking':
        if (typeof block.thinking === 'string')
          parts.push({ type: 'reasoning', content: text(block.thinking) });
        break;
      case 'tool_use':
      case 'server_tool_use':
        parts.push({
          type: 'tool_call',
          id: str(block.id) ?? null,
          name: str(block.name) ?? '',
          arguments: redactDeep(block.input, text),
        });
        break;
      case 'tool_result': {
        const inner = block.content;
        const response =
          typeof inner === 'string'
            ? text(inner)
            : Array.isArray(inner)
              ? anthropicParts(inner, text)
                  .map((p) => (p.type === 'text' ? (p as { content: string }).content : ''))
                  .join('')
              : null;
        parts.push({ type: 'tool_call_response', id: str(block.tool_use_id) ?? null, response });
        break;
      }
      case 'image':
        parts.push({ type: 'blob', modality: 'image', mime_type: null, content: '[omitted]' });
        break;
      default:
        if (typeof block.type === 'string') parts.push({ type: block.type });
    }
  }
  return parts;
}

/** Anthropic request messages → semconv input messages. */
export function anthropicInput(messages: readonly unknown[], text: Text): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    if (!isObj(m)) continue;
    const parts = anthropicParts(m.content, text);
    const onlyResults = parts.length > 0 && parts.every((p) => p.type === 'tool_call_response');
    out.push({ role: onlyResults ? 'tool' : (str(m.role) ?? 'user'), parts });
  }
  return out;
}
