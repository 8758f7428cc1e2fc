#!/usr/bin/env node
// CLI: pilotlight-mock-model-server [--port 4010] [--host 127.0.0.1]
import { parseArgs } from 'node:util';
import { startMockModelServer } from './server.js';

/** Port the CLI listens on when `--port` is not given. */
const DEFAULT_CLI_PORT = 4010;

const { values } = parseArgs({
  options: {
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log('Usage: pilotlight-mock-model-server [--port 4010] [--host 127.0.0.1]');
  process.exit(0);
}

const port = values.port === undefined ? DEFAULT_CLI_PORT : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  process.exit(2);
}

const mock = await startMockModelServer({ port, ...(values.host ? { host: values.host } : {}) });
console.log(`mock model server listening on ${mock.url}`);
console.log(`  OpenAI:    OPENAI_BASE_URL=${mock.openaiBaseURL}`);
console.log(`  Anthropic: ANTHROPIC_BASE_URL=${mock.anthropicBaseURL}`);

const stop = (): void => {
  void mock.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
