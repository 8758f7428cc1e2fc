import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ChildCollector {
  url: string;
  dbPath: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `pilotlight serve` from the TypeScript sources in a child process (tsx,
 * with the `source` condition so workspace packages need no build).
 */
export function spawnCollector(env: Record<string, string>): ChildProcess {
  return spawn(
    process.execPath,
    ['--conditions=@pilotlight/source', '--import', 'tsx', 'src/main.ts', 'serve'],
    {
      cwd: PACKAGE_DIR,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Spawns a collector and waits until it prints where it listens. */
export async function startChildCollector(env: Record<string, string>): Promise<ChildCollector> {
  const child = spawnCollector({ PILOTLIGHT_PORT: '0', ...env });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = await new Promise<{ url: string; dbPath: string }>((resolve, reject) => {
    const onData = () => {
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const dbPath = /database: +(\S+)/.exec(out)?.[1];
      if (url !== undefined && dbPath !== undefined) {
        child.stdout?.off('data', onData);
        resolve({ url, dbPath });
      }
    };
    child.stdout?.on('data', onData);
    exited.then(({ code, signal }) =>
      reject(
        new Error(`collector exited before listening (code ${code}, signal ${signal}): ${err}`),
      ),
    );
  });
  return { ...ready, child, exited, stdout: () => out, stderr: () => err };
}
