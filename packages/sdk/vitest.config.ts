import { defaultServerConditions } from 'vite';
import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

// The OpenTelemetry packages' `module` export points at an ESM build with extension-less
// imports that Node cannot load once vitest externalises it; without the `module` condition
// they resolve to their CommonJS build (one instance of @opentelemetry/api for src and tests).
const conditions = ['@pilotlight/source', ...defaultServerConditions.filter((c) => c !== 'module')];

export default mergeConfig(
  { ...sharedConfig, resolve: { conditions }, ssr: { resolve: { conditions } } },
  { test: { pool: 'forks' } },
);
