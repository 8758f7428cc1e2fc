import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDriftDemo } from '../src/demo.js';
import { tempDir } from './temp-dir.js';

describe('drift demo', () => {
  it('catches the shift, fires one signed alert per drifted monitor, resolves them, writes the report', async () => {
    const tmp = tempDir();
    try {
      const lines: string[] = [];
      const result = await runDriftDemo({
        outDir: tmp.dir,
        log: (l) => lines.push(l),
        endMs: Date.UTC(2026, 10, 22, 3, 0, 0),
      });
      expect(result.shiftedRuns.map((r) => [r.monitorId, r.drifted])).toEqual([
        ['latency', true],
        ['confidence', true],
        ['model', true],
      ]);
      expect(result.recoveredRuns.every((r) => !r.drifted)).toBe(true);
      expect(result.notifications.every((n) => n.signatureValid === true)).toBe(true);
      // One notification per transition: the three firings (delivered in any order), then the
      // three resolutions once the traffic is back to normal.
      const events = result.notifications.map((n) => `${n.body.event} ${n.body.rule.id}`);
      expect(events.slice(0, 3).sort()).toEqual([
        'alert.firing drift-confidence',
        'alert.firing drift-latency',
        'alert.firing drift-model',
      ]);
      expect(events.slice(3).sort()).toEqual([
        'alert.resolved drift-confidence',
        'alert.resolved drift-latency',
        'alert.resolved drift-model',
      ]);
      expect(lines.some((l) => l.startsWith('sent 600 shifted calls'))).toBe(true);
      expect(readFileSync(result.reportHtmlPath, 'utf8')).toContain('<svg');
      const report = JSON.parse(readFileSync(result.reportJsonPath, 'utf8')) as {
        features: { feature: string; drifted: boolean }[];
      };
      expect(report.features.map((f) => [f.feature, f.drifted])).toEqual([
        ['latency', true],
        ['confidence', true],
        ['model', true],
        ['output_tokens', false],
      ]);
      expect(existsSync(result.reportHtmlPath)).toBe(true);
    } finally {
      tmp.remove();
    }
  });
});
