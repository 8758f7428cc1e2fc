export { ANTHROPIC_CACHE_READ_USER, ANTHROPIC_CACHE_WRITE_USER } from './anthropic-messages.js';
export { STREAM_ERROR_MODEL } from './exchange.js';
export { RETRY_AFTER_SEC } from './faults.js';
export { OPENAI_SNAPSHOTS } from './openai-chat.js';
export { DEFAULT_EMBEDDING_DIMENSIONS } from './openai-embeddings.js';
export {
  DEFAULT_HOST,
  MAX_BODY_BYTES,
  type MockModelServer,
  type MockModelServerOptions,
  type RecordedRequest,
  startMockModelServer,
} from './server.js';
export { CACHED_SHARE, LOGPROB_STEPS } from './text.js';
