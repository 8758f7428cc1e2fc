/**
 * Attribute names: the one place where pilotlight spells them.
 *
 * `GenAI` follows the OpenTelemetry GenAI semantic conventions (>= 1.37, the
 * `gen_ai.provider.name` / `gen_ai.input.messages` generation). `Pilotlight`
 * holds our own additions; everything we add lives under `pilotlight.*`.
 * Older or foreign dialects (semconv <= 1.36, OpenLLMetry, OpenInference,
 * Vercel AI SDK) are read by the collector's normaliser, see `dialects/`.
 */
export const GenAI = {
  OPERATION_NAME: 'gen_ai.operation.name',
  PROVIDER_NAME: 'gen_ai.provider.name',
  CONVERSATION_ID: 'gen_ai.conversation.id',
  OUTPUT_TYPE: 'gen_ai.output.type',
  REQUEST_MODEL: 'gen_ai.request.model',
  REQUEST_TEMPERATURE: 'gen_ai.request.temperature',
  REQUEST_TOP_P: 'gen_ai.request.top_p',
  REQUEST_TOP_K: 'gen_ai.request.top_k',
  REQUEST_MAX_TOKENS: 'gen_ai.request.max_tokens',
  REQUEST_FREQUENCY_PENALTY: 'gen_ai.request.frequency_penalty',
  REQUEST_PRESENCE_PENALTY: 'gen_ai.request.presence_penalty',
  REQUEST_STOP_SEQUENCES: 'gen_ai.request.stop_sequences',
  REQUEST_SEED: 'gen_ai.request.seed',
  REQUEST_CHOICE_COUNT: 'gen_ai.request.choice.count',
  REQUEST_ENCODING_FORMATS: 'gen_ai.request.encoding_formats',
  RESPONSE_ID: 'gen_ai.response.id',
  RESPONSE_MODEL: 'gen_ai.response.model',
  RESPONSE_FINISH_REASONS: 'gen_ai.response.finish_reasons',
  /** Seconds from request start to the first streamed chunk. */
  RESPONSE_TIME_TO_FIRST_CHUNK: 'gen_ai.response.time_to_first_chunk',
  USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
  /** Counted inside `gen_ai.usage.input_tokens`, never in addition to it. */
  USAGE_CACHE_READ_INPUT_TOKENS: 'gen_ai.usage.cache_read.input_tokens',
  /** Counted inside `gen_ai.usage.input_tokens`, never in addition to it. */
  USAGE_CACHE_CREATION_INPUT_TOKENS: 'gen_ai.usage.cache_creation.input_tokens',
  /** Counted inside `gen_ai.usage.output_tokens`, never in addition to it. */
  USAGE_REASONING_OUTPUT_TOKENS: 'gen_ai.usage.reasoning.output_tokens',
  INPUT_MESSAGES: 'gen_ai.input.messages',
  OUTPUT_MESSAGES: 'gen_ai.output.messages',
  SYSTEM_INSTRUCTIONS: 'gen_ai.system_instructions',
  TOOL_DEFINITIONS: 'gen_ai.tool.definitions',
  TOOL_NAME: 'gen_ai.tool.name',
  TOOL_CALL_ID: 'gen_ai.tool.call.id',
  AGENT_NAME: 'gen_ai.agent.name',
  EMBEDDINGS_DIMENSION_COUNT: 'gen_ai.embeddings.dimension.count',
} as const;

/** General OpenTelemetry attributes we read or write. */
export const Otel = {
  ERROR_TYPE: 'error.type',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  SERVICE_NAME: 'service.name',
  EXCEPTION_TYPE: 'exception.type',
  EXCEPTION_MESSAGE: 'exception.message',
} as const;

/** pilotlight's own attributes (documented in the README). */
export const Pilotlight = {
  /** Confidence of the call in [0, 1]: from logprobs or a user extractor. */
  CONFIDENCE: 'pilotlight.confidence',
  /** How confidence was obtained: `logprobs_mean`, `logprobs_min`, `extractor`. */
  CONFIDENCE_SOURCE: 'pilotlight.confidence.source',
  /** Minimum token probability when logprobs were requested. */
  CONFIDENCE_MIN: 'pilotlight.confidence.min',
  /** Cost of the call in USD, computed from the price table. */
  COST_USD: 'pilotlight.cost_usd',
  /** Milliseconds from request start to the first streamed token. */
  TIME_TO_FIRST_TOKEN_MS: 'pilotlight.time_to_first_token_ms',
  /** True when token counts were estimated with a tokenizer, not reported by the provider. */
  USAGE_ESTIMATED: 'pilotlight.usage.estimated',
  /** Input of a traced function (`traceCall`), JSON. */
  INPUT: 'pilotlight.input',
  /** Output of a traced function (`traceCall`), JSON. */
  OUTPUT: 'pilotlight.output',
  /** Kind of span: `llm`, `embedding`, `ml`, `tool`, `agent`, `chain`. */
  SPAN_KIND: 'pilotlight.span.kind',
  /** Whether the response was streamed. */
  STREAMING: 'pilotlight.streaming',
} as const;

/** Values of `gen_ai.operation.name` defined by the conventions, plus `predict` for ML models. */
export const OperationName = {
  CHAT: 'chat',
  TEXT_COMPLETION: 'text_completion',
  GENERATE_CONTENT: 'generate_content',
  EMBEDDINGS: 'embeddings',
  EXECUTE_TOOL: 'execute_tool',
  INVOKE_AGENT: 'invoke_agent',
  CREATE_AGENT: 'create_agent',
  /** Not in the conventions: an ML model's prediction (`traceCall`). */
  PREDICT: 'predict',
} as const;

/** Values of `gen_ai.provider.name` we emit or map to. */
export const ProviderName = {
  OPENAI: 'openai',
  ANTHROPIC: 'anthropic',
  AZURE_OPENAI: 'azure.ai.openai',
  AWS_BEDROCK: 'aws.bedrock',
  GCP_GEMINI: 'gcp.gemini',
  GCP_VERTEX_AI: 'gcp.vertex_ai',
  MISTRAL: 'mistral_ai',
  COHERE: 'cohere',
  GROQ: 'groq',
  DEEPSEEK: 'deepseek',
  X_AI: 'x_ai',
} as const;
