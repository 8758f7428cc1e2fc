import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore, startCollector } from '../src/index.js';
import { getJson, startTestCollector, tempDir } from './helpers.js';

describe('startCollector wiring', () => {
  it('serves drift and alert routes behind the audit log, and closes cleanly', async () => {
    const collector = await startTestCollector();
    try {
      expect((await getJson(`${collector.url}/api/alerts/rules`)).status).toBe(200);
      expect((await getJson(`${collector.url}/api/drift/monitors`)).status).toBe(200);
      const audit = await getJson<{ data: { route: string }[] }>(`${collector.url}/api/audit`);
      expect(audit.body.data.map((e) => e.route)).toEqual([
        '/api/drift/monitors',
        '/api/alerts/rules',
      ]);
    } finally {
      await collector.stop();
    }
  });

  it('leaves them out when asked', async () => {
    const collector = await startTestCollector({ driftAndAlerts: false });
    try {
      expect((await getJson(`${collector.url}/api/alerts/rules`)).status).toBe(404);
    } finally {
      await collector.stop();
    }
  });

  it('refuses to start on an invalid alerts file and leaves the database closed', async () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'pilotlight.config.json');
      writeFileSync(file, JSON.stringify({ rules: [{ name: 42 }] }));
      const dbPath = path.join(tmp.dir, 'pl.db');
      await expect(startCollector({ dbPath, port: 0, alertsConfigFile: file })).rejects.toThrow(
        file,
      );
      // Nothing holds the file: it opens again and answers.
      const store = openSqliteStore({ path: dbPath });
      await store.ping();
      await store.close();
    } finally {
      tmp.remove();
    }
  });
});
