/**
 * {@link FeatureSource} over the PostgreSQL `calls` table: the same features, filters and
 * sampling as {@link SqliteFeatureSource}. Every SQL expression that knows the PostgreSQL
 * `calls` columns for drift is in this file.
 */
import type pg from 'pg';
import { withClient } from '../store/postgres/client.js';
import { toStoreError } from '../store/postgres/errors.js';
import { quoteIdent } from '../store/postgres/migrations.js';
import type { FeatureFilters, FeatureSample, FeatureSource } from './feature-source.js';
import { FeatureSampler } from './feature-source.js';
import type { FeatureSpec } from './features.js';

/** Rows fetched from the server-side cursor at a time (bounds memory on big windows). */
const FETCH_ROWS = 10_000;

/** The value expression and its "has a value" condition, per built-in feature. */
const BUILTIN_SQL: Readonly<Record<string, { value: string; present: string }>> = {
  latency: { value: '(end_ns - start_ns)::double precision / 1e6', present: 'TRUE' },
  ttft: { value: 'ttft_ms', present: 'ttft_ms IS NOT NULL' },
  input_tokens: { value: 'input_tokens::double precision', present: 'input_tokens IS NOT NULL' },
  output_tokens: {
    value: 'output_tokens::double precision',
    present: 'output_tokens IS NOT NULL',
  },
  cost: { value: 'cost_usd', present: 'cost_usd IS NOT NULL' },
  confidence: { value: 'confidence', present: 'confidence IS NOT NULL' },
  // The text length is computed in JS from the stored JSON (node-postgres parses it).
  output_length: { value: 'output', present: 'output IS NOT NULL' },
  // Same model as the rollups' model dimension: the requested one, else the response's.
  model: {
    value: 'COALESCE(model, response_model)',
    present: 'COALESCE(model, response_model) IS NOT NULL',
  },
  finish_reason: {
    value: 'finish_reasons->>0',
    present: "json_typeof(finish_reasons->0) = 'string'",
  },
  status: { value: 'status', present: 'TRUE' },
  error_type: { value: 'error_type', present: 'error_type IS NOT NULL' },
};

const FILTER_SQL: Readonly<Record<keyof FeatureFilters, string>> = {
  model: "COALESCE(model, response_model, '')",
  provider: "COALESCE(provider, '')",
  service: "COALESCE(service_name, '')",
  operation: "COALESCE(operation, '')",
};

/**
 * Reads feature values from the `calls` table of the span store's schema, streaming the
 * window through a server-side cursor in calls' start order (so a seed picks the same
 * sample on every run, and on SQLite, over the same calls).
 *
 * @example
 * ```ts
 * const source = new PostgresFeatureSource(store.pool, store.schema);
 * const w = await source.sample('default', parseFeature('latency'), {}, from, to, 10_000, 42);
 * ```
 */
export class PostgresFeatureSource implements FeatureSource {
  private readonly calls: string;

  constructor(
    private readonly pool: pg.Pool,
    schema = 'public',
  ) {
    this.calls = `${quoteIdent(schema)}.calls`;
  }

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
    const values: unknown[] = [
      projectId,
      (BigInt(Math.floor(fromMs)) * 1_000_000n).toString(),
      (BigInt(Math.floor(toMs)) * 1_000_000n).toString(),
    ];
    const param = (v: unknown): string => {
      values.push(v);
      return `$${values.length}`;
    };
    let value: string;
    let present: string;
    if ('attribute' in feature) {
      const key = param(feature.attribute);
      const numeric = feature.kind === 'numeric';
      value = numeric ? `(attributes->>${key})::double precision` : `attributes->>${key}`;
      present = `json_typeof(attributes->${key}) = '${numeric ? 'number' : 'string'}'`;
    } else {
      ({ value, present } = BUILTIN_SQL[feature.builtin]!);
    }
    const where = ['project_id = $1', 'start_ns >= $2', 'start_ns < $3', present];
    for (const k of Object.keys(FILTER_SQL) as (keyof FeatureFilters)[]) {
      const v = filters[k];
      if (v !== undefined) where.push(`${FILTER_SQL[k]} = ${param(v)}`);
    }
    const sql = `SELECT ${value} AS v FROM ${this.calls} WHERE ${where.join(' AND ')}
      ORDER BY start_ns, seq`;

    // node-postgres parses the json column already.
    const sampler = new FeatureSampler(feature, cap, seed, (raw) => raw);
    let read = 0;
    try {
      await withClient(this.pool, async (client) => {
        await client.query('BEGIN READ ONLY');
        try {
          await client.query(`DECLARE pilotlight_drift NO SCROLL CURSOR FOR ${sql}`, values);
          for (;;) {
            const { rows } = await client.query<{ v: unknown }>(
              `FETCH ${FETCH_ROWS} FROM pilotlight_drift`,
            );
            for (const row of rows) {
              read++;
              sampler.add(row.v);
            }
            if (rows.length < FETCH_ROWS) break;
            onProgress?.(read);
          }
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      throw toStoreError(error);
    }
    onProgress?.(read);
    return sampler.sample();
  }
}
