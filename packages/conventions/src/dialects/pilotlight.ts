// pilotlight's own SDK: the current GenAI conventions (read by the otel-genai table)
// plus the `pilotlight.*` namespace: TTFT in ms and a traced function's input/output.
import { Pilotlight } from '../attributes.js';
import type { SpanInput } from '../normalize.js';
import { hasPrefix, readJson, WarningList, type Warnings } from './read.js';
import { type Dialect, type FieldTable, readTable } from './types.js';

/** The mapping table of pilotlight's own attributes (confidence and cost are read by the normaliser). */
export const PILOTLIGHT_TABLE = {
  ttftMs: [{ key: Pilotlight.TIME_TO_FIRST_TOKEN_MS, toMs: 1 }],
} as const satisfies FieldTable;

/** Instrumentation scope names of our SDK start with this. */
export const PILOTLIGHT_SCOPE_PREFIX = '@pilotlight/';

export const pilotlight: Dialect = {
  name: 'pilotlight',
  table: PILOTLIGHT_TABLE,
  cacheCounting: 'inside',
  detect(span: SpanInput): boolean {
    return (
      span.scopeName?.startsWith(PILOTLIGHT_SCOPE_PREFIX) === true ||
      hasPrefix(span.attributes, ['pilotlight.'])
    );
  },
  extract(span: SpanInput, w: Warnings) {
    // A traced function's input and output are kept as the JSON they are, not as messages.
    return {
      ...readTable(PILOTLIGHT_TABLE, span.attributes, w),
      input: readJsonOrText(span, Pilotlight.INPUT, w),
      output: readJsonOrText(span, Pilotlight.OUTPUT, w),
    };
  },
};

function readJsonOrText(span: SpanInput, key: string, w: Warnings) {
  const v = span.attributes[key];
  // Plain text is a valid input too: no warning when it is not JSON.
  if (typeof v === 'string') return readJson(span.attributes, key, new WarningList()) ?? v;
  return readJson(span.attributes, key, w);
}
