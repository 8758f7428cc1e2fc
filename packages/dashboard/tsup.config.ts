import { defineConfig } from 'tsup';

// Only the collector-facing module; the browser app is built by Vite into dist/app,
// which `clean: false` leaves in place.
export default defineConfig({
  entry: { 'server/index': 'src/server/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: false,
  target: 'node20',
});
