import { defineConfig } from 'tsup';

export default defineConfig({
  // The SQLite writer thread's entry: the store looks for ./sqlite-writer.js beside the bundle.
  entry: {
    index: 'src/index.ts',
    main: 'src/main.ts',
    'sqlite-writer': 'src/store/sqlite/writer-worker.ts',
  },
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  banner: { js: '' },
});
