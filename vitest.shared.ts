// Shared vitest settings: resolve workspace packages to their TypeScript sources
// (the "@pilotlight/source" export condition), so tests and type-checks never need a build.
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Vite's `module` condition points @opentelemetry/api (imported by @anthropic-ai/sdk)
// at an extensionless ESM build that Node cannot load, so it is left out.
const conditions = ['@pilotlight/source', ...defaultServerConditions.filter((c) => c !== 'module')];

export const sharedConfig = defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
