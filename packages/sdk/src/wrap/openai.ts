import type { Attributes } from '@opentelemetry/api';
import { GenAI, OperationName, ProviderName } from '@pilotlight/conventions';
import {
  type ChatMessage,
  isObj,
  num,
  openaiChatInput,
  openaiChatInputJson,
  openaiChatOutput,
  openaiChatOutputJson,
  responsesInput,
  responsesOutput,
  str,
} from '../capture/content.js';
import type { CaptureContext } from '../capture/deferred.js';
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

/** Options of {@link wrapOpenAI}. */
export interface WrapOpenAIOptions {
  /** `gen_ai.provider.name` (default `openai`; e.g. `azure.ai.openai` or `groq` for compatible APIs). */
  provider?: string;
}

type Obj = Record<string, unknown>;

interface ChoiceAcc {
  text: string[];
  refusal: string[];
  tools: Map<number, { id: string | null; name: string; args: string[] }>;
  finish: string | undefined;
  role: string | undefined;
}

function openaiUsage(u: unknown): Usage | undefined {
  if (!isObj(u)) return undefined;
  const input = num(u.prompt_tokens) ?? num(u.input_tokens);
  const output = num(u.completion_tokens) ?? num(u.output_tokens);
  const inDetails = isObj(u.prompt_tokens_details)
    ? u.prompt_tokens_details
    : isObj(u.input_tokens_details)
      ? u.input_tokens_details
      : {};
  const outDetails = isObj(u.completion_tokens_details)
    ? u.completion_tokens_details
    : isObj(u.output_tokens_details)
      ? u.output_tokens_details
      : {};
  return {
    inputTokens: input,
    outputTokens: output,
    cacheReadInputTokens: num(inDetails.cached_tokens),
    reasoningOutputTokens: num(outDetails.reasoning_tokens),
  };
}

function messagesText(messages: readonly ChatMessage[]): string {
  const out: string[] = [];
  for (const m of messages)
    for (const p of m.parts) {
      const part = p as Obj;
      if (typeof part.content === 'string') out.push(part.content);
      if (part.type === 'tool_call')
        out.push(part.name as string, JSON.stringify(part.arguments ?? ''));
    }
  return out.join('\n');
}

const identity = (s: string): string => s;

/** Chat Completions (`chat.completions.create`, plain and streamed). */
class ChatCapture implements CallCapture {
  private response: Obj | undefined;
  private readonly choices: ChoiceAcc[] = [];
  private id: string | undefined;
  private model: string | undefined;
  private usage: unknown;
  private readonly logprobs: number[] = [];
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

  onChunk(chunk: unknown): void {
    if (!isObj(chunk)) return;
    if (this.id === undefined && typeof chunk.id === 'string') this.id = chunk.id;
    if (this.model === undefined && typeof chunk.model === 'string') this.model = chunk.model;
    if (chunk.usage != null) this.usage = chunk.usage;
    const choices = chunk.choices;
    if (!Array.isArray(choices)) return;
    for (const c of choices) {
      if (!isObj(c)) continue;
      const index = typeof c.index === 'number' ? c.index : 0;
      let acc = this.choices[index];
      if (acc === undefined) {
        acc = { text: [], refusal: [], tools: new Map(), finish: undefined, role: undefined };
        this.choices[index] = acc;
      }
      if (typeof c.finish_reason === 'string') acc.finish = c.finish_reason;
      const delta = c.delta;
      if (isObj(delta)) {
        if (typeof delta.role === 'string') acc.role = delta.role;
        if (typeof delta.content === 'string' && delta.content !== '') {
          acc.text.push(delta.content);
          this.ttftMs ??= elapsedMs(this.startedAt);
        }
        if (typeof delta.refusal === 'string') acc.refusal.push(delta.refusal);
        if (Array.isArray(delta.tool_calls)) {
          this.ttftMs ??= elapsedMs(this.startedAt);
          for (const t of delta.tool_calls) {
            if (!isObj(t)) continue;
            const ti = typeof t.index === 'number' ? t.index : 0;
            let tool = acc.tools.get(ti);
            if (tool === undefined) {
              tool = { id: null, name: '', args: [] };
              acc.tools.set(ti, tool);
            }
            if (typeof t.id === 'string') tool.id = t.id;
            const fn = isObj(t.function) ? t.function : {};
            if (typeof fn.name === 'string') tool.name += fn.name;
            if (typeof fn.arguments === 'string') tool.args.push(fn.arguments);
          }
        }
      }
      const lp = isObj(c.logprobs) ? c.logprobs.content : undefined;
      if (Array.isArray(lp))
        for (const t of lp)
          if (isObj(t) && typeof t.logprob === 'number') this.logprobs.push(t.logprob);
    }
  }

  needsTokenizer(): boolean {
    return this.streaming && !isObj(this.usage);
  }

  /** The streamed choices in the shape of a non-streamed response's `choices`. */
  private streamedChoices(): Obj[] {
    return this.choices.map((acc) => ({
      finish_reason: acc?.finish ?? null,
      message: {
        role: acc?.role ?? 'assistant',
        content: acc === undefined || acc.text.length === 0 ? null : acc.text.join(''),
        ...(acc !== undefined && acc.refusal.length > 0 ? { refusal: acc.refusal.join('') } : {}),
        tool_calls:
          acc === undefined
            ? undefined
            : [...acc.tools.values()].map((t) => ({
                id: t.id,
                type: 'function',
                function: { name: t.name, arguments: t.args.join('') },
              })),
      },
    }));
  }

  attributes(ctx: CaptureContext): Attributes {
    const a: Attributes = {};
    const p = this.params;
    setNum(a, GenAI.REQUEST_TEMPERATURE, p.temperature);
    setNum(a, GenAI.REQUEST_TOP_P, p.top_p);
    setNum(a, GenAI.REQUEST_MAX_TOKENS, p.max_completion_tokens ?? p.max_tokens);
    setNum(a, GenAI.REQUEST_FREQUENCY_PENALTY, p.frequency_penalty);
    setNum(a, GenAI.REQUEST_PRESENCE_PENALTY, p.presence_penalty);
    setNum(a, GenAI.REQUEST_SEED, p.seed);
    setStrings(a, GenAI.REQUEST_STOP_SEQUENCES, p.stop);
    if (typeof p.n === 'number' && p.n !== 1) a[GenAI.REQUEST_CHOICE_COUNT] = p.n;

    const r = this.response;
    const choices =
      r !== undefined && Array.isArray(r.choices) ? (r.choices as Obj[]) : this.streamedChoices();
    const id = r !== undefined ? str(r.id) : this.id;
    const model = r !== undefined ? str(r.model) : this.model;
    setStr(a, GenAI.RESPONSE_ID, id);
    setStr(a, GenAI.RESPONSE_MODEL, model);
    const finish = choices.map((c) =>
      isObj(c) && typeof c.finish_reason === 'string' ? c.finish_reason : null,
    );
    if (finish.some((f) => f !== null))
      a[GenAI.RESPONSE_FINISH_REASONS] = finish.map((f) => f ?? 'error');

    const wantContent = ctx.captureContent;
    // Message objects are built only to estimate tokens; the content JSON is written directly.
    const input =
      ctx.countTokens !== null
        ? openaiChatInput(this.messages, wantContent ? ctx.text : identity)
        : [];
    const output =
      ctx.countTokens !== null ? openaiChatOutput(choices, wantContent ? ctx.text : identity) : [];

    let usage = openaiUsage(r !== undefined ? r.usage : this.usage);
    let estimated = false;
    if (usage === undefined && this.streaming && ctx.countTokens !== null) {
      usage = {
        inputTokens: ctx.countTokens(messagesText(input)),
        outputTokens: ctx.countTokens(messagesText(output)),
      };
      estimated = true;
    }
    let logprobs: number[] | undefined;
    if (p.logprobs === true) {
      if (r !== undefined) {
        logprobs = [];
        for (const c of choices) {
          const lp = isObj(c) && isObj(c.logprobs) ? c.logprobs.content : undefined;
          if (Array.isArray(lp))
            for (const t of lp)
              if (isObj(t) && typeof t.logprob === 'number') logprobs.push(t.logprob);
        }
      } else logprobs = this.logprobs;
    }
    writeOutcome(a, ctx, {
      model: model ?? str(p.model),
      usage,
      estimated,
      logprobs,
      ttftMs: this.ttftMs,
    });
    if (wantContent) {
      a[GenAI.INPUT_MESSAGES] = openaiChatInputJson(this.messages, ctx.text);
      if (choices.length > 0) a[GenAI.OUTPUT_MESSAGES] = openaiChatOutputJson(choices, ctx.text);
    }
    return a;
  }
}

/** Responses API (`responses.create`, plain and streamed). */
class ResponsesCapture implements CallCapture {
  private response: Obj | undefined;
  private readonly deltas: string[] = [];
  private id: string | undefined;
  private model: string | undefined;
  private ttftMs: number | undefined;

  constructor(
    private readonly params: Obj,
    private readonly input: unknown,
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
      case 'response.created':
      case 'response.in_progress':
        if (isObj(event.response)) {
          this.id ??= str(event.response.id);
          this.model ??= str(event.response.model);
        }
        break;
      case 'response.output_text.delta':
        this.ttftMs ??= elapsedMs(this.startedAt);
        if (typeof event.delta === 'string') this.deltas.push(event.delta);
        break;
      case 'response.function_call_arguments.delta':
        this.ttftMs ??= elapsedMs(this.startedAt);
        break;
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
        if (isObj(event.response)) this.response = event.response;
        break;
    }
  }

  needsTokenizer(): boolean {
    return this.streaming && !(this.response !== undefined && isObj(this.response.usage));
  }

  attributes(ctx: CaptureContext): Attributes {
    const a: Attributes = {};
    const p = this.params;
    setNum(a, GenAI.REQUEST_TEMPERATURE, p.temperature);
    setNum(a, GenAI.REQUEST_TOP_P, p.top_p);
    setNum(a, GenAI.REQUEST_MAX_TOKENS, p.max_output_tokens);
    const r = this.response;
    setStr(a, GenAI.RESPONSE_ID, r !== undefined ? str(r.id) : this.id);
    const model = (r !== undefined ? str(r.model) : undefined) ?? this.model;
    setStr(a, GenAI.RESPONSE_MODEL, model);
    let finish: string | undefined;
    if (r !== undefined) {
      const status = str(r.status);
      const incomplete = isObj(r.incomplete_details) ? str(r.incomplete_details.reason) : undefined;
      finish = status === 'completed' ? 'stop' : (incomplete ?? status);
      if (finish !== undefined) a[GenAI.RESPONSE_FINISH_REASONS] = [finish];
    }
    const wantContent = ctx.captureContent;
    const text = wantContent ? ctx.text : identity;
    const input = wantContent || ctx.countTokens !== null ? responsesInput(this.input, text) : [];
    const output =
      r !== undefined && Array.isArray(r.output)
        ? responsesOutput(r.output, finish ?? 'stop', text)
        : this.deltas.length > 0
          ? [
              {
                role: 'assistant',
                parts: [{ type: 'text', content: text(this.deltas.join('')) }],
                finish_reason: 'error',
              },
            ]
          : [];
    let usage = openaiUsage(r?.usage);
    let estimated = false;
    if (usage === undefined && this.streaming && ctx.countTokens !== null) {
      usage = {
        inputTokens: ctx.countTokens(messagesText(input)),
        outputTokens: ctx.countTokens(messagesText(output)),
      };
      estimated = true;
    }
    let logprobs: number[] | undefined;
    if (r !== undefined && Array.isArray(r.output)) {
      for (const item of r.output)
        if (isObj(item) && Array.isArray(item.content))
          for (const c of item.content)
            if (isObj(c) && Array.isArray(c.logprobs))
              for (const t of c.logprobs)
                if (isObj(t) && typeof t.logprob === 'number') {
                  logprobs ??= [];
                  logprobs.push(t.logprob);
                }
    }
    writeOutcome(a, ctx, {
      model: model ?? str(p.model),
      usage,
      estimated,
      logprobs,
      ttftMs: this.ttftMs,
    });
    if (wantContent) {
      if (typeof p.instructions === 'string')
        a[GenAI.SYSTEM_INSTRUCTIONS] = JSON.stringify([
          { type: 'text', content: text(p.instructions) },
        ]);
      a[GenAI.INPUT_MESSAGES] = JSON.stringify(input);
      if (output.length > 0) a[GenAI.OUTPUT_MESSAGES] = JSON.stringify(output);
    }
    return a;
  }
}

/** Embeddings (`embeddings.create`). Inputs are not captured: they are data, not a conversation. */
class EmbeddingsCapture implements CallCapture {
  readonly streaming = false;
  private response: Obj | undefined;

  constructor(
    private readonly params: Obj,
    readonly base: Attributes,
  ) {}

  setResponse(value: unknown): void {
    if (isObj(value)) this.response = value;
  }

  onChunk(): void {}

  needsTokenizer(): boolean {
    return false;
  }

  attributes(ctx: CaptureContext): Attributes {
    const a: Attributes = {};
    const p = this.params;
    setStrings(a, GenAI.REQUEST_ENCODING_FORMATS, p.encoding_format);
    const r = this.response;
    if (r === undefined) return a;
    const model = str(r.model);
    setStr(a, GenAI.RESPONSE_MODEL, model);
    const first = Array.isArray(r.data) ? r.data[0] : undefined;
    if (isObj(first) && Array.isArray(first.embedding))
      a[GenAI.EMBEDDINGS_DIMENSION_COUNT] = first.embedding.length;
    else setNum(a, GenAI.EMBEDDINGS_DIMENSION_COUNT, p.dimensions);
    const usage = openaiUsage(r.usage);
    writeOutcome(a, ctx, {
      model: model ?? str(p.model),
      usage: usage === undefined ? undefined : { inputTokens: usage.inputTokens },
      estimated: false,
      logprobs: undefined,
      ttftMs: undefined,
    });
    return a;
  }
}

/**
 * Traces an `openai` client: `chat.completions.create` (plain and streamed), `responses.create`
 * (plain and streamed) and `embeddings.create` produce one CLIENT span each with GenAI
 * semantic-convention attributes. Returns a `Proxy` of the same client — the `openai` module
 * is not patched, and everything not traced behaves exactly as before. `openai` is a type-only
 * dependency of this package.
 *
 * @example
 * const openai = wrapOpenAI(new OpenAI());
 * await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
 */
export function wrapOpenAI<T extends object>(client: T, options: WrapOpenAIOptions = {}): T {
  const provider = options.provider ?? ProviderName.OPENAI;
  const server = serverAttributes((client as { baseURL?: unknown }).baseURL);
  const llm = baseAttributes(server, 'llm', false);
  const llmStream = baseAttributes(server, 'llm', true);
  const embedding = baseAttributes(server, 'embedding', false);
  // Each call's `begin` step is built once here, not as a closure per call.
  const beginChat = (params: Obj) => {
    const streaming = params.stream === true;
    const model = str(params.model);
    const span = startModelSpan(OperationName.CHAT, provider, model);
    const messages = Array.isArray(params.messages) ? params.messages.slice() : [];
    return {
      span,
      capture: new ChatCapture(
        params,
        messages,
        streaming,
        performance.now(),
        streaming ? llmStream : llm,
      ),
    };
  };
  const beginResponses = (params: Obj) => {
    const streaming = params.stream === true;
    const span = startModelSpan(OperationName.CHAT, provider, str(params.model));
    const input = Array.isArray(params.input) ? params.input.slice() : params.input;
    return {
      span,
      capture: new ResponsesCapture(
        params,
        input,
        streaming,
        performance.now(),
        streaming ? llmStream : llm,
      ),
    };
  };
  const beginEmbeddings = (params: Obj) => {
    const span = startModelSpan(OperationName.EMBEDDINGS, provider, str(params.model));
    return { span, capture: new EmbeddingsCapture(params, embedding) };
  };
  return createTracedProxy(client, {
    'chat.completions.create': (original, thisArg, args) =>
      traceModelCall(original, thisArg, args, beginChat),
    'responses.create': (original, thisArg, args) =>
      traceModelCall(original, thisArg, args, beginResponses),
    'embeddings.create': (original, thisArg, args) =>
      traceModelCall(original, thisArg, args, beginEmbeddings),
  });
}
