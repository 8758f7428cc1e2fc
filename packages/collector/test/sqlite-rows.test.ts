import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/server.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { hexId, otlpJson, tempDir } from './helpers.js';

const PROMPT = 'Summarise the attached contract in three sentences, please.';
const COMPLETION = 'The contract covers delivery, payment and termination.';
const compact = (role: string, text: string) =>
  JSON.stringify([{ role, parts: [{ type: 'text', content: text }] }]);
// As Python's json.dumps writes it: the same messages, but not the text we would write.
const spaced = (role: string, text: string) =>
  `[{"role": "${role}", "parts": [{"type": "text", "content": "${text}"}]}]`;

describe('SQLite rows', () => {
  it('store a prompt and completion once, yet read back every attribute as sent', async () => {
    const tmp = tempDir('pilotlight-rows-');
    const dbPath = path.join(tmp.dir, 'pl.db');
    const store = openSqliteStore({ path: dbPath });
    try {
      const app = createApp({ store });
      const traceId = hexId(16);
      const sent = {
        semconv: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.input.messages': compact('user', PROMPT),
          'gen_ai.output.messages': compact('assistant', COMPLETION),
          'app.note': 'kept',
        },
        spacedJson: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.input.messages': spaced('user', PROMPT),
          'gen_ai.output.messages': spaced('assistant', COMPLETION),
        },
      };
      const spanIds = { semconv: hexId(8), spacedJson: hexId(8) };
      const res = await app.request('/v1/traces', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          otlpJson(
            (['semconv', 'spacedJson'] as const).map((k) => ({
              traceId,
              spanId: spanIds[k],
              attributes: sent[k],
            })),
          ),
        ),
      });
      expect(res.status).toBe(200);

      const calls = await store.getTrace('default', traceId);
      for (const k of ['semconv', 'spacedJson'] as const) {
        const call = calls.find((c) => c.spanId === spanIds[k])!;
        expect(call.attributes).toEqual({ ...sent[k], 'resource.service.name': 'test-service' });
        expect(call.input).toEqual([{ role: 'user', parts: [{ type: 'text', content: PROMPT }] }]);
      }
      // On disk the compact messages are in the input/output columns only.
      const db = new Database(dbPath, { readonly: true });
      const rows = db.prepare('SELECT span_id, input, output, attributes FROM calls').all() as {
        span_id: Buffer;
        input: string;
        output: string;
        attributes: string;
      }[];
      db.close();
      const text = (k: 'semconv' | 'spacedJson') => {
        const row = rows.find((r) => r.span_id.toString('hex') === spanIds[k])!;
        return row.input + row.output + row.attributes;
      };
      const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;
      expect(count(text('semconv'), PROMPT)).toBe(1);
      expect(count(text('semconv'), COMPLETION)).toBe(1);
      // Texts that differ from the column's are stored as they came.
      expect(count(text('spacedJson'), PROMPT)).toBe(2);
    } finally {
      await store.close();
      tmp.remove();
    }
  });
});
