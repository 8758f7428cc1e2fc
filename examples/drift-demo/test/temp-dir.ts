import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A temp directory removed by the returned cleanup. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pilotlight-drift-demo-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
