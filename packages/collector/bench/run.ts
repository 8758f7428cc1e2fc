// `npm run bench -w @pilotlight/collector [-- NAME…]`: runs the collector's benchmarks one
// after another, each in its own process (so one's heap and JIT state never colour the next).
// With no names it runs them all; figures and their meaning are in the root BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES: Record<string, { file: string; what: string }> = {
  decode: {
    file: 'otlp-decode.ts',
    what: 'OTLP decoding: hand-written protobuf vs protobufjs vs JSON',
  },
  layout: {
    file: 'sqlite-layout.ts',
    what: 'SQLite table layout: rowid-clustered vs WITHOUT ROWID',
  },
  ingest: {
    file: 'ingest-http.ts',
    what: 'OTLP/HTTP ingest into SQLite against its decode and insert ceilings; overload; RSS',
  },
  summary: {
    file: 'summary-query.ts',
    what: 'GET /api/summary cost from 100k to 10M stored calls',
  },
  export: { file: 'export-memory.ts', what: 'collector RSS while a client downloads a CSV export' },
  'pg-insert': {
    file: 'postgres-insert.ts',
    what: 'PostgreSQL batch insert: VALUES vs unnest vs COPY',
  },
  'pg-ingest': {
    file: 'postgres-ingest.ts',
    what: 'end-to-end ingest: SQLite vs 1 and 3 collectors on PostgreSQL',
  },
};

const dir = fileURLToPath(new URL('.', import.meta.url));
const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`,
  );
  process.exit(64);
}

let failed = 0;
for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
  const bench = BENCHES[name]!;
  console.log(`\n=== ${name}: ${bench.what} (bench/${bench.file})`);
  const result = spawnSync(
    process.execPath,
    ['--conditions=@pilotlight/source', '--import', 'tsx', bench.file],
    { cwd: dir, stdio: 'inherit' },
  );
  if (result.status !== 0) {
    failed += 1;
    console.error(`=== ${name} failed (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
