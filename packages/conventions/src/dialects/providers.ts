// Provider names and finish reasons, mapped to the values of the GenAI semantic
// conventions (gen_ai.provider.name, and the output-message finish_reason enum).
import { ProviderName } from '../attributes.js';

/**
 * Spellings found in the wild, lower-cased, mapped to `gen_ai.provider.name`.
 * Sources: semconv <= 1.36 `gen_ai.system` values (`az.ai.openai`, `vertex_ai`, …),
 * OpenLLMetry (`OpenAI`, `Anthropic`, `Bedrock`, …), OpenInference `llm.provider` /
 * `llm.system` (`mistralai`, `google`, `vertexai`, `aws`, `azure`, `xai`, …) and the
 * Vercel AI SDK's provider ids before their first dot (`openai.chat` → `openai`).
 */
export const PROVIDER_ALIASES: Readonly<Record<string, string>> = {
  openai: ProviderName.OPENAI,
  anthropic: ProviderName.ANTHROPIC,
  'azure.ai.openai': ProviderName.AZURE_OPENAI,
  'az.ai.openai': ProviderName.AZURE_OPENAI,
  azure: ProviderName.AZURE_OPENAI,
  'azure-openai': ProviderName.AZURE_OPENAI,
  azureopenai: ProviderName.AZURE_OPENAI,
  'azure.ai.inference': 'azure.ai.inference',
  'az.ai.inference': 'azure.ai.inference',
  'aws.bedrock': ProviderName.AWS_BEDROCK,
  aws: ProviderName.AWS_BEDROCK,
  bedrock: ProviderName.AWS_BEDROCK,
  'amazon-bedrock': ProviderName.AWS_BEDROCK,
  amazon: ProviderName.AWS_BEDROCK,
  awsbedrock: ProviderName.AWS_BEDROCK,
  'gcp.gemini': ProviderName.GCP_GEMINI,
  gemini: ProviderName.GCP_GEMINI,
  google: ProviderName.GCP_GEMINI,
  'google.generative-ai': ProviderName.GCP_GEMINI,
  'google-generative-ai': ProviderName.GCP_GEMINI,
  googlegenerativeai: ProviderName.GCP_GEMINI,
  'gcp.vertex_ai': ProviderName.GCP_VERTEX_AI,
  vertex_ai: ProviderName.GCP_VERTEX_AI,
  vertexai: ProviderName.GCP_VERTEX_AI,
  'google.vertex': ProviderName.GCP_VERTEX_AI,
  'google-vertex': ProviderName.GCP_VERTEX_AI,
  vertex: ProviderName.GCP_VERTEX_AI,
  'gcp.gen_ai': 'gcp.gen_ai',
  mistral_ai: ProviderName.MISTRAL,
  mistral: ProviderName.MISTRAL,
  mistralai: ProviderName.MISTRAL,
  cohere: ProviderName.COHERE,
  groq: ProviderName.GROQ,
  deepseek: ProviderName.DEEPSEEK,
  x_ai: ProviderName.X_AI,
  xai: ProviderName.X_AI,
  perplexity: 'perplexity',
  'ibm.watsonx.ai': 'ibm.watsonx.ai',
  watsonx: 'ibm.watsonx.ai',
};

/**
 * Maps a provider spelling to its `gen_ai.provider.name` value: an exact alias,
 * then the alias of the part before the first dot (Vercel's `openai.chat`,
 * `anthropic.messages`, `google.vertex.chat`), else the lower-cased name as sent.
 */
export function canonicalProvider(raw: string): string {
  const name = raw.trim().toLowerCase();
  const exact = PROVIDER_ALIASES[name];
  if (exact !== undefined) return exact;
  const parts = name.split('.');
  for (let n = parts.length - 1; n >= 1; n--) {
    const alias = PROVIDER_ALIASES[parts.slice(0, n).join('.')];
    if (alias !== undefined) return alias;
  }
  return name;
}

/**
 * Finish reasons mapped to the semconv output-message enum (`stop`, `length`,
 * `content_filter`, `tool_call`, `error`), so one call reads the same whichever
 * instrumentation reported it: OpenAI `tool_calls`, Vercel `tool-calls`, Anthropic
 * `tool_use` / `end_turn` / `max_tokens`, Gemini `STOP` / `MAX_TOKENS` / `SAFETY`.
 * Values with no mapping are kept, lower-cased.
 */
export const FINISH_REASON_ALIASES: Readonly<Record<string, string>> = {
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  complete: 'stop',
  finish_reason_stop: 'stop',
  length: 'length',
  max_tokens: 'length',
  model_length: 'length',
  content_filter: 'content_filter',
  'content-filter': 'content_filter',
  safety: 'content_filter',
  recitation: 'content_filter',
  blocklist: 'content_filter',
  prohibited_content: 'content_filter',
  tool_call: 'tool_call',
  tool_calls: 'tool_call',
  'tool-calls': 'tool_call',
  tool_use: 'tool_call',
  function_call: 'tool_call',
  error: 'error',
};

export function canonicalFinishReason(raw: string): string {
  const name = raw.trim().toLowerCase();
  return FINISH_REASON_ALIASES[name] ?? name;
}
