#!/usr/bin/env node
// Adds lockfile entries for the other platforms' optional binaries (biome, esbuild, rollup,
// turbo, …) that the registry mirror this project is developed against does not serve, so
// that `npm ci` accepts the lockfile. Each entry carries the platform (`os`/`cpu`/`libc`)
// taken from the package name, so npm skips it on every machine it does not fit; on a
// machine it fits, npm fetches it like any other optional dependency.
//
//   node scripts/lockfile-platforms.mjs          # after every `npm install` that changes the lockfile
//   node scripts/lockfile-platforms.mjs --check  # exits 1 if an entry is missing
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const packages = lock.packages;

const OS = [
  'darwin',
  'linux',
  'win32',
  'freebsd',
  'android',
  'openbsd',
  'netbsd',
  'sunos',
  'aix',
  'openharmony',
  'cygwin',
];
const CPU = [
  ['arm64', 'arm64'],
  ['aarch64', 'arm64'],
  ['x64', 'x64'],
  ['x86_64', 'x64'],
  ['amd64', 'x64'],
  ['ia32', 'ia32'],
  ['x86', 'ia32'],
  ['386', 'ia32'],
  ['arm', 'arm'],
  ['armv7', 'arm'],
  ['loong64', 'loong64'],
  ['mips64el', 'mips64el'],
  ['ppc64', 'ppc64'],
  ['riscv64', 'riscv64'],
  ['s390x', 's390x'],
  ['wasm32', 'wasm32'],
  ['mips', 'mips'],
];

/** os/cpu/libc guessed from a platform package name such as `@biomejs/cli-linux-arm64-musl`. */
function platformOf(name) {
  const parts = name.split('/').pop().toLowerCase().split(/[-_.]/);
  const entry = {};
  const os = parts.find((p) => OS.includes(p) || p === 'windows' || p === 'macos' || p === 'mac');
  if (os) entry.os = [os === 'windows' ? 'win32' : os === 'macos' || os === 'mac' ? 'darwin' : os];
  for (const [token, cpu] of CPU) {
    if (parts.includes(token)) {
      entry.cpu = [cpu];
      break;
    }
  }
  if (parts.includes('musl')) entry.libc = ['musl'];
  else if (parts.includes('gnu') || parts.includes('glibc')) entry.libc = ['glibc'];
  return entry;
}

/** Where node would find `dep` from the package at lockfile key `from`, or null. */
function resolve(from, dep) {
  // node_modules/a/node_modules/b → node_modules/a → '' (the root); a workspace → ''.
  for (let base = from; ; ) {
    const key = base ? `${base}/node_modules/${dep}` : `node_modules/${dep}`;
    if (packages[key]) return key;
    if (base === '') return null;
    const idx = base.lastIndexOf('/node_modules/');
    base = idx >= 0 ? base.slice(0, idx) : '';
  }
}

const added = [];
for (const [key, pkg] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(pkg.optionalDependencies ?? {})) {
    if (resolve(key, dep)) continue;
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue; // only exact pins are platform binaries
    const top = `node_modules/${dep}`;
    const target = packages[top] ? `${key}/node_modules/${dep}` : top;
    packages[target] = { version: spec, dev: pkg.dev, optional: true, ...platformOf(dep) };
    if (!packages[target].dev) delete packages[target].dev;
    added.push(target);
  }
}

if (process.argv.includes('--check')) {
  if (added.length > 0) {
    console.error(
      `package-lock.json lacks ${added.length} platform entries; run node scripts/lockfile-platforms.mjs`,
    );
    process.exit(1);
  }
} else {
  writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`added ${added.length} platform entries`);
}
