import { defaultServerConditions } from 'vite';
import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

// The OpenTelemetry packages' `module` export points at an ESM build with extension-less
// imports that Node cannot load once vitest externalises it; without the `module` condition
// they resolve to their CommonJS build (one instance of @opentelemetry/api for the tracer
// provider and the instrumentations in the real-span tests).
const conditions = ['source', ...defaultServerConditions.filter((c) => c !== 'module')];

// eventsource-parser (under the Vercel AI SDK) publishes a `source` export condition of its
// own pointing at TypeScript files; processed by vite rather than loaded by Node, they work.
const inline = [/eventsource-parser/, /@ai-sdk\//, /node_modules\/ai\//];

export default mergeConfig(
  { ...sharedConfig, resolve: { conditions }, ssr: { resolve: { conditions } } },
  { test: { pool: 'forks', server: { deps: { inline } } } },
);
