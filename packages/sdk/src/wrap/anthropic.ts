import type { Attributes } from '@opentelemetry/api';
import { GenAI, OperationName, ProviderName } from '@pilotlight/conventions';
import {
  anthropicInput,
  anthropicParts,
  type ChatMessage,
  isObj,
  num,
  str,
} from '../capture/content.js';
import type { CaptureContext } from '../capture/deferred.js';
import { expectNativeChild, markDuplicate } from '../capture/duplicates.js';
import { elapsedMs, type Usage, writeOutcome } from './common.js';
import { type CallCapture, traceModelCall } from './model-call.js';
import { createTracedProxy } from './proxy.js';
import {
  baseAttributes,
  serverAttributes,
  setNum,
  setStr,
  setStrings,
  startModelSpan,
} from './span.js';

/** Options of {@link wrapAnthropic}. */
export interface WrapAnthropicOptions {
  /** `gen_ai.provider.name` (default `anthropic`; e.g. `aws.bedrock` for the Bedrock client). */
  provider?: string;
}

type Obj = Record<string, unknown>;

/**
 * Anthropic reports `input_tokens` without cache reads and writes; the conventions count
 * them inside `gen_ai.usage.input_tokens`, so they are added here.
 */
function anthropicUsage(u: Obj): Usage {
  const input = num(u.input_tokens);
  const cacheRead = num(u.cache_read_input_tokens);
  const cacheCreation = num(u.cache_creation_input_tokens);
  return {
    inputTokens: input === undefined ? undefined : input + (cacheRead ?? 0) + (cacheCreation ?? 0),
    outputTokens: num(u.output_tokens),
    cacheReadInputTokens: cacheRead,
    cacheCreationInputTokens: cacheCreation,
  };
}

interface BlockAcc {
  type: string;
  text: string[];
  id?: string;
  name?: string;
  json: string[];
}

const identity = (s: string): string => s;

function text(messages: readonly ChatMessage[]): string {
  const out: string[] = [];
  for (const m of messages)
    for (const p of m.parts) {
      const part = p as Obj;
      if (typeof part.content === 'string') out.push(part.content);
      if (part.type === 'tool_call')
        out.push(String(part.name), JSON.stringify(part.arguments ?? ''));
    }
  return out.join('\n');
}

/** Messages API (`messages.create`, plain and streamed; `messages.stream` goes through it). */
class MessagesCapture implements CallCapture {
  private response: Obj | undefined;
  private id: string | undefined;
  private model: string | undefined;
  private usage: Obj = {};
  private sawUsage = false;
  private stopReason: string | undefined;
  private readonly blocks: BlockAcc[] = [];
  private ttftMs: number | undefined;

  constructor(
    private readonly params: Obj,
    private readonly messages: readonly unknown[],
    readonly streaming: boolean,
    private readonly startedAt: number,
    readonly base: Attributes,
  ) {}

  setResponse(value: unknown): void {
    if (isObj(value)) this.response = value;
  }

  onChunk(event: unknown): void {
    if (!isObj(event)) return;
    switch (event.type) {
      case 'message_start': {
        const m = isObj(event.message) ? event.message : {};
        this.id = str(m.id);
        this.model = str(m.model);
        if (isObj(m.usage)) {
          Object.assign(this.usage, m.usage);
          this.sawUsage = true;
        }
        break;
      }
      case 'content_block_start': {
        const b = isObj(event.content_block) ? event.content_block : {};
        const index = typeof event.index === 'number' ? event.index : this.blocks.length;
        const acc: BlockAcc = { type: str(b.type) ?? 'text', text: [], json: [] };
        if (typeof b.id === 'string') acc.id = b.id;
        if (typeof b.name === 'string') acc.name = b.name;
        if (typeof b.text === 'string' && b.text !== '') acc.text.push(b.text);
        this.blocks[index] = acc;
        break;
      }
      case 'content_block_delta': {
        const d = isObj(event.delta) ? event.delta : {};
        const index = typeof event.index === 'number' ? event.index : this.blocks.length - 1;
        const acc = this.blocks[index];
        if (acc === undefined) break;
        this.ttftMs ??= elapsedMs(this.startedAt);
        if (typeof d.text === 'string') acc.text.push(d.text);
        else if (typeof d.thinking === 'string') acc.text.push(d.thinking);
        else if (typeof d.partial_json === 'string') acc.json.push(d.partial_json);
        break;
      }
      case 'message_delta': {
        const d = isObj(event.delta) ? event.delta : {};
        if (typeof d.stop_reason === 'string') this.stopReason = d.stop_reason;
        if (isObj(event.usage)) {
          // Later counts replace earlier ones; nulls do not erase what message_start gave.
          for (const [k, v] of Object.entries(event.usage))
            if (typeof v === 'number') this.usage[k] = v;
          this.sawUsage = true;
        }
        break;
      }
    }
  }

  needsTokenizer(): boolean {
    return this.streaming && !this.sawUsage;
  }

  private streamedContent(): Obj[] {
    return this.blocks
      .filter((b): b is BlockAcc => b !== undefined)
      .map((b) => {
        if (b.type === 'tool_use' || b.type === 'server_tool_use') {
          const raw = b.json.join('');
          let input: unknown = {};
          try {
            input = raw === '' ? {} : JSON.parse(raw);
          } catch {
            input = raw;
          }
          return { type: b.type, id: b.id, name: b.name, input };
        }
        if (b.type === 'thinking') return { type: 'thinking', thinking: b.text.join('') };
        return { type: b.type, text: b.text.join('') };
      });
  }

  attributes(ctx: CaptureContext): Attributes {
    const a: Attributes = {};
    const p = this.params;
    setNum(a, GenAI.REQUEST_TEMPERATURE, p.temperature);
    setNum(a, GenAI.REQUEST_TOP_P, p.top_p);
    setNum(a, GenAI.REQUEST_TOP_K, p.top_k);
    setNum(a, GenAI.REQUEST_MAX_TOKENS, p.max_tokens);
    setStrings(a, GenAI.REQUEST_STOP_SEQUENCES, p.stop_sequences);
    const r = this.response;
    const model = (r !== undefined ? str(r.model) : undefined) ?? this.model;
    setStr(a, GenAI.RESPONSE_ID, r !== undefined ? str(r.id) : this.id);
    setStr(a, GenAI.RESPONSE_MODEL, model);
    const stop = r !== undefined ? str(r.stop_reason) : this.stopReason;
    if (stop !== undefined) a[GenAI.RESPONSE_FINISH_REASONS] = [stop];
    const content = r !== undefined ? r.content : this.streamedContent();
    const wantContent = ctx.captureContent;
    const t = wantContent ? ctx.text : identity;
    const input = wantContent || ctx.countTokens !== null ? anthropicInput(this.messages, t) : [];
    const outputParts = wantContent || ctx.countTokens !== null ? anthropicParts(content, t) : [];
    const output: ChatMessage[] = [
      { role: 'assistant', parts: outputParts, finish_reason: stop ?? 'error' },
    ];
    let usage: Usage | undefined;
    let estimated = false;
    if (r !== undefined && isObj(r.usage)) usage = anthropicUsage(r.usage);
    else if (this.sawUsage) usage = anthropicUsage(this.usage);
    else if (this.streaming && ctx.countTokens !== null) {
      usage = {
        inputTokens: ctx.countTokens(text(input)),
        outputTokens: ctx.countTokens(text(output)),
      };
      estimated = true;
    }
    writeOutcome(a, ctx, {
      model: model ?? str(p.model),
      usage,
      estimated,
      logprobs: undefined,
      ttftMs: this.ttftMs,
    });
    if (wantContent) {
      if (p.system !== undefined) {
        a[GenAI.SYSTEM_INSTRUCTIONS] = JSON.stringify(anthropicParts(p.system, t));
      }
      a[GenAI.INPUT_MESSAGES] = JSON.stringify(input);
      if (r !== undefined || this.blocks.length > 0)
        a[GenAI.OUTPUT_MESSAGES] = JSON.stringify(output);
    }
    return a;
  }
}

/** Whether this client traces its own calls (`openTelemetry` option, on by default in recent versions). */
function nativeTracing(client: object): boolean {
  try {
    const option = (client as { openTelemetry?: { traces?: { enabled?: unknown } } }).openTelemetry;
    return option !== undefined && option.traces?.enabled !== false;
  } catch {
    return false;
  }
}

/**
 * Traces an `@anthropic-ai/sdk` client: `messages.create` (plain and `stream: true`) and
 * `messages.stream` (which calls `create` through the traced view) produce one CLIENT span
 * each. Returns a `Proxy` of the same client; the module is not patched. `@anthropic-ai/sdk`
 * is a type-only dependency of this package.
 *
 * @example
 * const anthropic = wrapAnthropic(new Anthropic());
 * await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 256, messages });
 */
export function wrapAnthropic<T extends object>(client: T, options: WrapAnthropicOptions = {}): T {
  const provider = options.provider ?? ProviderName.ANTHROPIC;
  const server = serverAttributes((client as { baseURL?: unknown }).baseURL);
  const llm = baseAttributes(server, 'llm', false);
  const llmStream = baseAttributes(server, 'llm', true);
  const native = nativeTracing(client);
  // Built once here, not as a closure per call.
  const begin = (params: Record<string, unknown>, args: unknown[]) => {
    // `messages.stream()` opens the client's own span first and hands it to `create()`.
    const handed = (args[1] as { __span?: { span?: unknown } } | undefined)?.__span?.span;
    if (handed !== null && typeof handed === 'object') markDuplicate(handed);
    const streaming = params.stream === true;
    const span = startModelSpan(OperationName.CHAT, provider, str(params.model));
    const messages = Array.isArray(params.messages) ? params.messages.slice() : [];
    if (native) expectNativeChild(span.spanContext().spanId);
    return {
      span,
      capture: new MessagesCapture(
        params,
        messages,
        streaming,
        performance.now(),
        streaming ? llmStream : llm,
      ),
    };
  };
  return createTracedProxy(client, {
    'messages.create': (original, thisArg, args) =>
      traceModelCall(original, thisArg, args, begin, native),
  });
}
