import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, openSqliteStore } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('SQLite schema migrations', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('applies every version once, in order, and nothing on a second start', () => {
    const db = new Database(path.join(tmp.dir, 'm.db'));
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    db.close();
  });

  it('applies only the versions added since the last start', () => {
    const db = new Database(path.join(tmp.dir, 'add.db'));
    migrate(db);
    const next = {
      version: MIGRATIONS.length + 1,
      name: 'extra',
      sql: 'CREATE TABLE extra (x INTEGER)',
    };
    expect(migrate(db, [...MIGRATIONS, next])).toEqual([next.version]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get()).toEqual({
      name: 'extra',
    });
    db.close();
  });

  it('refuses a database written by a newer collector, and a failed migration leaves no trace', () => {
    const file = path.join(tmp.dir, 'newer.db');
    const db = new Database(file);
    migrate(db);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, ?)').run(
      'future',
      'x',
    );
    db.close();
    expect(() => openSqliteStore({ path: file })).toThrow(
      /schema version 999 is newer than this collector knows/,
    );

    const broken = new Database(path.join(tmp.dir, 'broken.db'));
    migrate(broken);
    const bad = {
      version: MIGRATIONS.length + 1,
      name: 'bad',
      sql: 'CREATE TABLE half (x); SELECT * FROM nowhere',
    };
    expect(() => migrate(broken, [...MIGRATIONS, bad])).toThrow(/no such table: nowhere/);
    expect(
      broken.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get(),
    ).toBeUndefined();
    expect(migrate(broken)).toEqual([]);
    broken.close();
  });

  it('opens in WAL mode with the chosen synchronous level', async () => {
    const full = openSqliteStore({ path: path.join(tmp.dir, 'full.db') });
    const normal = openSqliteStore({
      path: path.join(tmp.dir, 'normal.db'),
      synchronous: 'normal',
    });
    await full.close();
    await normal.close();
    const check = new Database(path.join(tmp.dir, 'full.db'));
    expect(check.pragma('journal_mode', { simple: true })).toBe('wal');
    check.close();
    expect(full.path).toBe(path.join(tmp.dir, 'full.db'));
  });
});
