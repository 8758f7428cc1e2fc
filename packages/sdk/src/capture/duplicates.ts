import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/**
 * Since 0.13x, `@anthropic-ai/sdk` starts its own GenAI "call span" whenever a global tracer
 * provider exists (scope `com.anthropic.sdk.typescript`). Under `wrapAnthropic` that would
 * count every call twice, so the wrapper makes its span the parent of the client's span
 * and the processor drops such children. Calls of unwrapped clients keep their native spans.
 */
export const NATIVE_PROVIDER_SCOPES: ReadonlySet<string> = new Set([
  'com.anthropic.sdk.typescript',
]);

/** Span ids of our model spans whose native child span is expected (bounded). */
const parents = new Set<string>();
const MAX_TRACKED = 10_000;

/** Remembers that `spanId` is one of ours wrapping a client with native tracing. */
export function expectNativeChild(spanId: string): void {
  if (parents.size >= MAX_TRACKED) parents.clear();
  parents.add(spanId);
}

/** Native span objects known to duplicate one of ours (e.g. the one `messages.stream()` opens). */
const marked = new WeakSet<object>();

/** Marks a provider client's own span object as a duplicate of ours. */
export function markDuplicate(span: object): void {
  marked.add(span);
}

/** True for a provider client's native span that duplicates one of ours. */
export function isDuplicateProviderSpan(span: ReadableSpan): boolean {
  if (marked.has(span)) return true;
  if (!NATIVE_PROVIDER_SCOPES.has(span.instrumentationScope.name)) return false;
  const parent = span.parentSpanContext?.spanId;
  if (parent === undefined || !parents.has(parent)) return false;
  parents.delete(parent);
  return true;
}
