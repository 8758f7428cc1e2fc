// Builds the browser app into dist/app when it is missing or older than its sources, so
// `npx vitest run` works from a plain clone without `npm run build` first.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export default async function setup(): Promise<void> {
  let builtMs = 0;
  try {
    builtMs = statSync(join(root, 'dist', 'app', 'index.html')).mtimeMs;
  } catch {
    // Not built yet.
  }
  const sourcesMs = Math.max(
    newestMtimeMs(join(root, 'src', 'app')),
    statSync(join(root, 'vite.config.ts')).mtimeMs,
  );
  if (builtMs >= sourcesMs) return;
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}
