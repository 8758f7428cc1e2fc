/**
 * {@link FeatureSource} over the SQLite `calls` table. Every SQL expression that knows the
 * `calls` columns is in this file, so a schema change is one edit here.
 */
import type Database from 'better-sqlite3';
import type { FeatureFilters, FeatureSample, FeatureSource } from './feature-source.js';
import { FeatureSampler } from './feature-source.js';
import type { FeatureSpec } from './features.js';

/** How often (rows read) the progress callback is called. */
const PROGRESS_EVERY_ROWS = 10_000;

/** The value expression and its "has a value" condition, per built-in feature. */
const BUILTIN_SQL: Readonly<Record<string, { value: string; present: string }>> = {
  latency: { value: '(end_ns - start_ns) / 1e6', present: '1' },
  ttft: { value: 'ttft_ms', present: 'ttft_ms IS NOT NULL' },
  input_tokens: { value: 'input_tokens', present: 'input_tokens IS NOT NULL' },
  output_tokens: { value: 'output_tokens', present: 'output_tokens IS NOT NULL' },
  cost: { value: 'cost_usd', present: 'cost_usd IS NOT NULL' },
  confidence: { value: 'confidence', present: 'confidence IS NOT NULL' },
  // The text length is computed in JS from the stored JSON.
  output_length: { value: 'output', present: 'output IS NOT NULL' },
  // Same model as the rollups' model dimension: the requested one, else the response's.
  model: {
    value: 'COALESCE(model, response_model)',
    present: 'COALESCE(model, response_model) IS NOT NULL',
  },
  finish_reason: {
    value: "json_extract(finish_reasons, '$[0]')",
    present: "json_type(finish_reasons, '$[0]') = 'text'",
  },
  status: { value: 'status', present: '1' },
  error_type: { value: 'error_type', present: 'error_type IS NOT NULL' },
};

const FILTER_SQL: Readonly<Record<keyof FeatureFilters, string>> = {
  model: "COALESCE(model, response_model, '') = @model",
  provider: "COALESCE(provider, '') = @provider",
  service: "COALESCE(service_name, '') = @service",
  operation: "COALESCE(operation, '') = @operation",
};

function featureSql(feature: FeatureSpec): { value: string; present: string } {
  if ('attribute' in feature) {
    const types = feature.kind === 'numeric' ? "('integer', 'real')" : "('text')";
    return {
      value: 'json_extract(attributes, @path)',
      present: `json_type(attributes, @path) IN ${types}`,
    };
  }
  return BUILTIN_SQL[feature.builtin]!;
}

/**
 * Reads feature values from the `calls` table of a collector database. Open a separate
 * (read-only is enough) connection on the store's file; WAL lets it read while the
 * collector writes.
 *
 * @example
 * ```ts
 * const source = new SqliteFeatureSource(new Database(store.path, { readonly: true }));
 * const w = await source.sample('default', parseFeature('latency'), {}, from, to, 10_000, 42);
 * ```
 */
export class SqliteFeatureSource implements FeatureSource {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  async sample(
    projectId: string,
    feature: FeatureSpec,
    filters: FeatureFilters,
    fromMs: number,
    toMs: number,
    cap: number,
    seed: number,
    onProgress?: (read: number) => void,
  ): Promise<FeatureSample> {
    const keys = (Object.keys(FILTER_SQL) as (keyof FeatureFilters)[]).filter(
      (k) => filters[k] !== undefined,
    );
    const { value, present } = featureSql(feature);
    const where = [
      'project_id = @projectId',
      'start_ns >= @fromNs',
      'start_ns < @toNs',
      present,
      ...keys.map((k) => FILTER_SQL[k]),
    ].join(' AND ');
    // In start order (the index's order, no sort), like PostgreSQL: a seed picks the same
    // sample from the same calls on either engine.
    const sql = `SELECT ${value} AS v FROM calls WHERE ${where} ORDER BY start_ns, seq`;
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql).raw(true);
      this.statements.set(sql, stmt);
    }
    const params: Record<string, unknown> = {
      projectId,
      fromNs: BigInt(Math.floor(fromMs)) * 1_000_000n,
      toNs: BigInt(Math.floor(toMs)) * 1_000_000n,
    };
    for (const k of keys) params[k] = filters[k];
    if ('attribute' in feature) params.path = `$."${feature.attribute}"`;

    const sampler = new FeatureSampler(feature, cap, seed, (raw) => JSON.parse(raw as string));
    let read = 0;
    for (const row of stmt.iterate(params) as IterableIterator<[unknown]>) {
      read++;
      if (onProgress !== undefined && read % PROGRESS_EVERY_ROWS === 0) onProgress(read);
      sampler.add(row[0]);
    }
    onProgress?.(read);
    return sampler.sample();
  }
}
