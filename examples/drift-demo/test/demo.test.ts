import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_MONITORS, runDriftDemo } from '../src/demo.js';
import { tempDir } from './temp-dir.js';

describe('drift demo', () => {
  // The collector evaluates alert rules once a minute, so this waits a minute or two.
  it('catches the shift, and one signed firing alert per monitor reaches the webhook', async () => {
    const tmp = tempDir();
    try {
      const lines: string[] = [];
      const result = await runDriftDemo({ outDir: tmp.dir, log: (l) => lines.push(l) });
      expect(result.runs.map((r) => [r.monitorId, r.method, r.drifted])).toEqual(
        DEMO_MONITORS.map((m) => [m.id, m.method, true]),
      );
      expect(result.runs.every((r) => r.reference.size === 600 && r.current.size === 300)).toBe(
        true,
      );
      expect(result.notifications.every((n) => n.signatureValid)).toBe(true);
      const firing = result.notifications.filter((n) => n.body.event === 'alert.firing');
      expect(firing.map((n) => n.body.rule.id).sort()).toEqual(
        DEMO_MONITORS.map((m) => `drift-${m.id}`).sort(),
      );
      for (const n of firing) expect(n.body.value).toBeGreaterThanOrEqual(n.body.threshold!);
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
    } finally {
      tmp.remove();
    }
  }, 300_000);
});
