/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;

let loading: Promise<TokenCounter | null> | undefined;

/**
 * Loads the `o200k_base` tokenizer (js-tiktoken) on first use, off the caller's path: only
 * spans whose provider reported no usage need it, and it is large. Counts for non-OpenAI
 * models are an approximation; such spans carry `pilotlight.usage.estimated = true`.
 * Resolves null when the tokenizer cannot be loaded.
 */
export function loadTokenCounter(): Promise<TokenCounter | null> {
  loading ??= (async () => {
    try {
      const [{ Tiktoken }, ranks] = await Promise.all([
        import('js-tiktoken/lite'),
        import('js-tiktoken/ranks/o200k_base'),
      ]);
      const encoder = new Tiktoken(ranks.default);
      return (text: string) => (text === '' ? 0 : encoder.encode(text).length);
    } catch {
      return null;
    }
  })();
  return loading;
}
