import type { CallRecord } from '@pilotlight/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { CSV_COLUMNS } from '../src/routes/export.js';
import type { SpanStore } from '../src/store/store.js';
import { hexId } from './helpers.js';
import { allSpans, genAiSpans, ingest, testApp } from './read-side-helpers.js';

const T0 = Date.UTC(2026, 9, 5, 6, 0);

const NASTY = [
  'hello, world',
  'she said "hi", then left',
  'line one\nline two',
  'windows\r\nline',
  '"',
  ',',
  '""',
  'trailing quote"',
  'emoji 🤖, "quoted"\n and a tab\there',
  '=HYPERLINK("http://example.com")',
];

/** RFC 4180 reader: CRLF (or LF) records, quoted fields may hold commas, quotes, CR and LF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
        if (i < text.length && !',\r\n'.includes(text[i]!))
          throw new Error(`junk after quote at ${i}`);
      } else {
        field += c;
        i++;
      }
    } else if (c === '"') {
      if (field !== '') throw new Error(`quote inside unquoted field at ${i}`);
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && text[i + 1] !== '\n') throw new Error(`bare CR at ${i}`);
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += c === '\r' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length > 0) throw new Error('last record without a line break');
  return rows;
}

/** What a CSV field must read back as. */
function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

describe('GET /api/export', () => {
  const t = testApp();
  let stored: CallRecord[] = [];

  beforeAll(async () => {
    const nasty = NASTY.map((text, i) => ({
      traceId: hexId(16),
      spanId: hexId(8),
      name: text,
      startMs: T0 + i * 1000,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'pilotlight.input': JSON.stringify([{ role: 'user', content: text }]),
        'app.note': text,
      },
    }));
    expect(await ingest(t.app, nasty)).toBe(200);
    for (let k = 0; k < 5; k++) {
      expect(await ingest(t.app, genAiSpans(20 + k, 500, T0 + 60_000, 3_600_000))).toBe(200);
    }
    stored = await allSpans(t.app);
    expect(stored).toHaveLength(2510);
  });
  afterAll(() => t.close());

  it('streams every record as NDJSON, newest first, equal to the query API', async () => {
    const res = await t.app.request('/api/export');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines.map((l) => JSON.parse(l) as CallRecord)).toEqual(stored);
  });

  it('writes RFC 4180 CSV: commas, quotes and line breaks in prompts read back unchanged', async () => {
    const res = await t.app.request('/api/export?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toContain('pilotlight-export.csv');
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual(CSV_COLUMNS);
    expect(CSV_COLUMNS).toContain('input');
    const body = rows.slice(1);
    expect(body).toHaveLength(stored.length);
    body.forEach((row, i) => {
      expect(row).toEqual(CSV_COLUMNS.map((c) => asText(stored[i]![c])));
    });
    const names = body.map((row) => row[CSV_COLUMNS.indexOf('name')]);
    for (const text of NASTY) expect(names).toContain(text);
  });

  it('applies the filters of /api/spans', async () => {
    const params = {
      model: 'gpt-4o',
      status: 'error',
      from: String(T0 + 600_000),
      to: new Date(T0 + 1_800_000).toISOString(),
    };
    const want = await allSpans(t.app, params);
    expect(want.length).toBeGreaterThan(0);
    const text = await (await t.app.request(`/api/export?${new URLSearchParams(params)}`)).text();
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as CallRecord),
    ).toEqual(want);
    const empty = await t.app.request('/api/export?format=csv&model=nothing-like-this');
    expect(await empty.text()).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('reads pages only as the client takes them', async () => {
    let reads = 0;
    const counting: SpanStore = {
      ...t.store,
      listCalls: (projectId, query) => {
        reads++;
        return t.store.listCalls(projectId, query);
      },
    };
    const app = createApp({ store: counting });
    const res = await app.request('/api/export');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    // 2,510 rows are 6 pages; one chunk read must not have pulled them all.
    expect(reads).toBeLessThanOrEqual(3);
    await reader.cancel();
  });

  it.each([
    [{ format: 'xml' }, 'format'],
    [{ status: 'maybe' }, 'status'],
    [{ from: '2026-10-05T07:00:00Z', to: '2026-10-05T06:00:00Z' }, 'to'],
  ])('answers 400 naming the bad parameter for %o', async (params, name) => {
    const res = await t.app.request(`/api/export?${new URLSearchParams(params)}`);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { issues: { path: string }[] };
    expect(json.issues.map((i) => i.path)).toContain(name);
  });
});
