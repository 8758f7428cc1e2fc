// Loads the shared drift vectors (scipy/numpy reference values checked against Evidently).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type GenSpec, generate } from './generate.js';

export type Encoded = number | string;

export interface VectorCase {
  name: string;
  kind: 'numeric' | 'categorical';
  description: string;
  n_reference: number;
  n_current: number;
  reference: Encoded[];
  current: Encoded[];
  /** Extra vectors: large windows described by a generator spec instead of stored values. */
  reference_gen?: GenSpec;
  current_gen?: GenSpec;
  expect_error: boolean;
  expected: Expected | null;
}

export interface ChiExpected {
  statistic: Encoded;
  pvalue: Encoded;
  dof?: number;
}

export interface Expected {
  ks_statistic?: number;
  ks_pvalue?: number;
  ks_method?: string;
  ks_pvalue_asymp?: Encoded;
  psi: number;
  jensenshannon: number;
  jensenshannon_base2: number;
  wasserstein?: number;
  wasserstein_norm?: number;
  reference_std_pop?: number;
  chi2?: ChiExpected;
  chi2_uncorrected?: ChiExpected;
  chisquare_evidently?: ChiExpected;
  binning: {
    binning: 'sturges' | 'per_value';
    n_bins: number;
    edges?: number[];
    keys?: (number | string)[];
    reference_counts: number[];
    current_counts: number[];
  };
  evidently_default: {
    test: string;
    n_reference: number;
    n_unique_union: number;
    score: Encoded;
    threshold: number;
    drift_detected: boolean;
  };
}

export function loadVectors(file: string): VectorCase[] {
  const path = fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
  const cases = (JSON.parse(readFileSync(path, 'utf8')) as { cases: VectorCase[] }).cases;
  for (const c of cases) {
    if (c.reference_gen) c.reference = generate(c.reference_gen);
    if (c.current_gen) c.current = generate(c.current_gen);
  }
  return cases;
}

/** 'NaN' / 'Infinity' / '-Infinity' strings back to numbers. */
export function decodeNumber(v: Encoded): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw new Error(`not an encoded number: ${v}`);
}

export function decodeNumeric(values: Encoded[]): number[] {
  return values.map(decodeNumber);
}

/** Statistics: |a - e| <= 1e-9 * max(1, |e|) (covers 1e-9 relative and 1e-12 absolute). */
export function closeStat(actual: number, expected: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= Math.max(1e-12, 1e-9 * Math.abs(expected));
}

/** p-values: |a - e| <= max(1e-12, 1e-6 |e|). */
export function closeP(actual: number, expected: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  return Math.abs(actual - expected) <= Math.max(1e-12, 1e-6 * Math.abs(expected));
}
