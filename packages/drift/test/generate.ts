// Deterministic data for the extra vectors, bit-identical to generate() in
// fixtures/make-extra-vectors.py: Park-Miller minstd (exact integer arithmetic below 2^53)
// and the same IEEE double operations in the same order.
const MOD = 2147483647;
const MUL = 48271;

export interface GenSpec {
  dist: 'uniform' | 'normal4' | 'int';
  n: number;
  seed: number;
  loc?: number;
  scale?: number;
  k?: number;
}

export function minstd(seed: number, n: number): number[] {
  let x = seed % MOD || 1;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    x = (x * MUL) % MOD;
    out[i] = x / MOD;
  }
  return out;
}

export function generate(spec: GenSpec): number[] {
  const loc = spec.loc ?? 0;
  const scale = spec.scale ?? 1;
  const { n, seed } = spec;
  if (spec.dist === 'uniform') return minstd(seed, n).map((v) => loc + scale * v);
  if (spec.dist === 'normal4') {
    const u = minstd(seed, 4 * n);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      out[i] = loc + scale * (u[4 * i]! + u[4 * i + 1]! + (u[4 * i + 2]! + u[4 * i + 3]!) - 2.0);
    }
    return out;
  }
  const k = spec.k ?? 2;
  return minstd(seed, n).map((v) => Math.floor(v * k) + loc);
}
