import type { Attributes, Span } from '@opentelemetry/api';
import { GenAI, Pilotlight } from '@pilotlight/conventions';
import { confidenceFromLogprobs } from '../capture/confidence.js';
import { costUsd } from '../capture/cost.js';
import type { CaptureContext } from '../capture/deferred.js';
import { recordError } from '../errors.js';
import { setNum } from './span.js';

/** Token counts in semconv terms: cache and reasoning tokens are counted inside the totals. */
export interface Usage {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  cacheReadInputTokens?: number | undefined;
  cacheCreationInputTokens?: number | undefined;
  reasoningOutputTokens?: number | undefined;
}

/** Writes usage, cost, confidence and time to first token. */
export function writeOutcome(
  a: Attributes,
  ctx: CaptureContext,
  o: {
    model: string | undefined;
    usage: Usage | undefined;
    estimated: boolean;
    logprobs: readonly number[] | undefined;
    ttftMs: number | undefined;
  },
): void {
  const u = o.usage;
  if (u !== undefined) {
    setNum(a, GenAI.USAGE_INPUT_TOKENS, u.inputTokens);
    setNum(a, GenAI.USAGE_OUTPUT_TOKENS, u.outputTokens);
    setNum(a, GenAI.USAGE_CACHE_READ_INPUT_TOKENS, u.cacheReadInputTokens);
    setNum(a, GenAI.USAGE_CACHE_CREATION_INPUT_TOKENS, u.cacheCreationInputTokens);
    setNum(a, GenAI.USAGE_REASONING_OUTPUT_TOKENS, u.reasoningOutputTokens);
    if (o.estimated) a[Pilotlight.USAGE_ESTIMATED] = true;
    const cost = costUsd(ctx.prices, o.model, {
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      cacheReadInputTokens: u.cacheReadInputTokens,
      cacheCreationInputTokens: u.cacheCreationInputTokens,
    });
    if (cost !== null) a[Pilotlight.COST_USD] = cost;
  }
  if (o.logprobs !== undefined) {
    const confidence = confidenceFromLogprobs(o.logprobs);
    if (confidence !== null) {
      a[Pilotlight.CONFIDENCE] = confidence.mean;
      a[Pilotlight.CONFIDENCE_MIN] = confidence.min;
      a[Pilotlight.CONFIDENCE_SOURCE] = 'logprobs_mean';
    }
  }
  if (o.ttftMs !== undefined) {
    a[Pilotlight.TIME_TO_FIRST_TOKEN_MS] = o.ttftMs;
    a[GenAI.RESPONSE_TIME_TO_FIRST_CHUNK] = o.ttftMs / 1000;
  }
}

/** Ends a span once, whatever path (value, error, abandoned stream) gets there first. */
export class SpanEnder {
  private ended = false;
  constructor(readonly span: Span) {}

  get isEnded(): boolean {
    return this.ended;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end();
  }

  fail(error: unknown): void {
    if (this.ended) return;
    recordError(this.span, error);
    this.end();
  }
}

/** Milliseconds since `start` (a `performance.now()` reading). */
export const elapsedMs = (start: number): number =>
  Math.round((performance.now() - start) * 1000) / 1000;
