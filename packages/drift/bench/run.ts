// Drift bench: @pilotlight/drift against scipy.stats.ks_2samp and a numpy PSI on the same
// data in the same run. `npm run bench -w @pilotlight/drift`. The data is generated here
// from a fixed seed and handed to python3 as raw float64 files, so both sides see the same bits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ks2samp, psi, wasserstein } from '../src/index.js';

const LARGE_N = 1_000_000;
const EXACT_N = 10_000;
const REPEATS = 7;
const SEED = 20_260_422;

/** xorshift-style 32-bit generator (mulberry32); Box-Muller for normals. */
function normals(n: number, seed: number, shift: number): Float64Array {
  let s = seed >>> 0;
  const u = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const th = 2 * Math.PI * u();
    out[i] = shift + r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = shift + r * Math.sin(th);
  }
  return out;
}

function timed<T>(fn: () => T): { out: T; ms: number } {
  fn(); // warm-up (JIT)
  fn();
  const times: number[] = [];
  let out = fn();
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now();
    out = fn();
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  return { out, ms: times[Math.floor(times.length / 2)]! };
}

interface Reference {
  versions: Record<string, string>;
  ks: { statistic: number; pValue: number; ms: number };
  psi: { value: number; ms: number };
  exact: { statistic: number; pValue: number; ms: number };
  wasserstein: { value: number; ms: number };
}

function runReference(dir: string): Reference | string {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'reference.py');
  const r = spawnSync('python3', [script, dir, String(REPEATS)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.error) return `python3 not available (${r.error.message})`;
  if (r.status !== 0)
    return `python3 with numpy/scipy not usable: ${r.stderr.trim().split('\n').pop()}`;
  return JSON.parse(r.stdout) as Reference;
}

const fmt = (ms: number) => `${ms.toFixed(1).padStart(8)} ms`;

function row(name: string, ours: number, theirs: number | undefined, target: string): void {
  const ratio =
    theirs === undefined ? '' : `  ratio ${(ours / theirs).toFixed(2)} (target ${target})`;
  const ref = theirs === undefined ? '         n/a' : fmt(theirs);
  console.log(`${name.padEnd(34)} drift ${fmt(ours)}   python ${ref}${ratio}`);
}

const ksRef = normals(LARGE_N, SEED, 0);
const ksCur = normals(LARGE_N, SEED + 1, 0.005);
const exRef = normals(EXACT_N, SEED + 2, 0);
const exCur = normals(EXACT_N - 1, SEED + 3, 0.03);

const dir = mkdtempSync(join(tmpdir(), 'drift-bench-'));
try {
  const write = (name: string, a: Float64Array) =>
    writeFileSync(join(dir, `${name}.f64`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  write('ks_ref', ksRef);
  write('ks_cur', ksCur);
  write('exact_ref', exRef);
  write('exact_cur', exCur);

  const ks = timed(() => ks2samp(ksRef, ksCur));
  const ps = timed(() => psi(ksRef, ksCur));
  const ex = timed(() => ks2samp(exRef, exCur));
  const ws = timed(() => wasserstein(ksRef, ksCur));
  const ref = runReference(dir);

  console.log(
    `@pilotlight/drift bench (node ${process.version}, median of ${REPEATS} after warm-up)`,
  );
  if (typeof ref === 'string') {
    console.log(`python comparison skipped: ${ref}`);
  } else {
    console.log(
      `python side: ${Object.entries(ref.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  const r = typeof ref === 'string' ? undefined : ref;
  row(`ks2samp ${LARGE_N} vs ${LARGE_N} (asymp)`, ks.ms, r?.ks.ms, '<= 0.5');
  row(`psi ${LARGE_N} vs ${LARGE_N}`, ps.ms, r?.psi.ms, '<= 0.5');
  row(`ks2samp ${EXACT_N} vs ${EXACT_N - 1} (exact)`, ex.ms, r?.exact.ms, '<= 1');
  row(`wasserstein ${LARGE_N} vs ${LARGE_N}`, ws.ms, r?.wasserstein.ms, 'none');
  console.log('values (drift | python):');
  console.log(
    `  ks     D ${ks.out.statistic} | ${r?.ks.statistic}   p ${ks.out.pValue} | ${r?.ks.pValue}  (${ks.out.method})`,
  );
  console.log(`  psi    ${ps.out.value} | ${r?.psi.value}`);
  console.log(
    `  exact  D ${ex.out.statistic} | ${r?.exact.statistic}   p ${ex.out.pValue} | ${r?.exact.pValue}  (${ex.out.method})`,
  );
  console.log(`  wass.  ${ws.out.value} | ${r?.wasserstein.value}`);
  console.log(
    'copies of the input: ks2samp 1 per window + 1 transient radix scratch (n >= 100k); psi/js 0 for Float64Array (1 for number[]); wasserstein 1 per window + scratch',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
