import { type Attributes, context, type Span, SpanKind, trace } from '@opentelemetry/api';
import { GenAI, OperationName, Pilotlight } from '@pilotlight/conventions';
import { validConfidence } from '../capture/confidence.js';
import { type CaptureContext, deferCapture } from '../capture/deferred.js';
import { currentTracer } from '../runtime.js';
import { SpanEnder } from './common.js';

/** What a traced function is, for `pilotlight.span.kind` and the default operation name. */
export type TraceKind = 'ml' | 'llm' | 'embedding' | 'tool' | 'agent' | 'chain' | 'retrieval';

/** Options of {@link traceCall}. */
export interface TraceCallOptions<T> {
  /** The function's input, recorded as `pilotlight.input` (JSON, redacted, in the batch path). */
  input?: unknown;
  /** Confidence of the output in [0, 1] (e.g. the top softmax probability); null for none. */
  confidence?: (output: T) => number | null | undefined;
  /** Extra span attributes. */
  attributes?: Attributes;
  /** `gen_ai.operation.name`; default from `kind` (`ml` → `predict`, `tool` → `execute_tool`, `agent` → `invoke_agent`). */
  operation?: string;
  /** Kind of step (default `ml`). */
  kind?: TraceKind;
  /** `gen_ai.request.model`, e.g. the classifier's name and version. */
  model?: string;
  /** `gen_ai.provider.name`, when a provider serves the model. */
  provider?: string;
  /** Record the output as `pilotlight.output` (default true; `captureContent: false` in `init` wins). */
  captureOutput?: boolean;
}

const DEFAULT_OPERATION: Partial<Record<TraceKind, string>> = {
  ml: OperationName.PREDICT,
  llm: OperationName.CHAT,
  embedding: OperationName.EMBEDDINGS,
  tool: OperationName.EXECUTE_TOOL,
  agent: OperationName.INVOKE_AGENT,
};

const NO_VALUE = Symbol('none');

/**
 * Traces any function — an ML model's `predict`, a retrieval step, a tool, an agent — as a
 * span that is active while it runs, so spans started inside (wrapped LLM calls, nested
 * `traceCall`s) become its children. Records input, output, latency, errors (re-thrown
 * unchanged) and, with an extractor, confidence. Input and output are serialised later, in
 * the batch path.
 *
 * @example
 * const label = await traceCall('predict churn', () => model.predict(features), {
 *   input: features,
 *   model: 'churn-v3',
 *   confidence: (out) => Math.max(...out.probabilities),
 * });
 */
export async function traceCall<T>(
  name: string,
  fn: (span: Span) => T | Promise<T>,
  options: TraceCallOptions<T> = {},
): Promise<T> {
  let span: Span;
  const capture = { input: NO_VALUE as unknown, output: NO_VALUE as unknown };
  try {
    const kind = options.kind ?? 'ml';
    const attributes: Attributes = { ...options.attributes, [Pilotlight.SPAN_KIND]: kind };
    const operation = options.operation ?? DEFAULT_OPERATION[kind];
    if (operation !== undefined) attributes[GenAI.OPERATION_NAME] = operation;
    if (options.model !== undefined) attributes[GenAI.REQUEST_MODEL] = options.model;
    if (options.provider !== undefined) attributes[GenAI.PROVIDER_NAME] = options.provider;
    if (kind === 'tool') attributes[GenAI.TOOL_NAME] = name;
    if (kind === 'agent') attributes[GenAI.AGENT_NAME] = name;
    span = currentTracer().startSpan(name, {
      kind: kind === 'llm' || kind === 'embedding' ? SpanKind.CLIENT : SpanKind.INTERNAL,
      attributes,
    });
    if ('input' in options) capture.input = options.input;
    const captureOutput = options.captureOutput ?? true;
    deferCapture(span, {
      needsTokenizer: () => false,
      attributes(ctx: CaptureContext): Attributes {
        if (!ctx.captureContent) return {};
        const a: Attributes = {};
        if (capture.input !== NO_VALUE) a[Pilotlight.INPUT] = ctx.json(capture.input);
        if (captureOutput && capture.output !== NO_VALUE)
          a[Pilotlight.OUTPUT] = ctx.json(capture.output);
        return a;
      },
    });
  } catch {
    return fn(
      trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }),
    );
  }
  const ender = new SpanEnder(span);
  let output: T;
  try {
    output = await context.with(trace.setSpan(context.active(), span), () => fn(span));
  } catch (error) {
    ender.fail(error);
    throw error;
  }
  capture.output = output;
  if (options.confidence !== undefined) {
    try {
      const value = validConfidence(options.confidence(output));
      if (value !== null) {
        span.setAttribute(Pilotlight.CONFIDENCE, value);
        span.setAttribute(Pilotlight.CONFIDENCE_SOURCE, 'extractor');
      }
    } catch {
      // A failing extractor records no confidence; the caller's result is unaffected.
    }
  }
  ender.end();
  return output;
}
