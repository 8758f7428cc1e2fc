import type { SpanInput } from '@pilotlight/conventions';
import type { Issue } from '../errors.js';

/** The result of decoding one OTLP export request. */
export interface DecodedTraces {
  /** Spans that passed validation, ready for normalisation. */
  spans: SpanInput[];
  /** One entry per rejected span: where it was and what was wrong. */
  rejected: Issue[];
}

/** Thrown inside a span's decoding; turns into one rejected-span issue. */
export class SpanInvalid extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export const ZERO_TRACE_ID = '00000000000000000000000000000000';
export const ZERO_SPAN_ID = '0000000000000000';
