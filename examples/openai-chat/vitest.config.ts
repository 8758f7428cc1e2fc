import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

// The shared config also resolves the `module` condition, which points @opentelemetry/api
// (imported by @anthropic-ai/sdk) at an extensionless ESM build that Node cannot load, so
// this package resolves `source` and Node's own conditions only.
const conditions = ['source', ...defaultServerConditions.filter((c) => c !== 'module')];

export default defineConfig({
  ...sharedConfig,
  resolve: { conditions },
  ssr: { resolve: { conditions } },
});
