import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The browser app: src/app -> dist/app, served by the collector (see src/server).
// No inline script or style in the output (the CSP forbids them) and nothing fetched
// from another host: every byte the page needs is in dist/app.
export default defineConfig({
  root: fileURLToPath(new URL('./src/app', import.meta.url)),
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/app', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
