import type pg from 'pg';

/**
 * Runs `fn` on a client checked out of `pool`, then returns it (or, after an
 * error, discards it). While a client is checked out node-postgres removes the
 * pool's error listener, so a connection that dies between two of `fn`'s queries
 * would raise an unhandled 'error' event and crash the process; this listener
 * swallows it (the next query on that client rejects anyway).
 */
export async function withClient<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error): void => {
    lost = error;
  };
  client.on('error', onError);
  let failure: Error | undefined;
  try {
    return await fn(client);
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    const broken = lost ?? failure;
    // A broken connection may still emit errors while it is torn down: keep listening.
    if (broken === undefined) client.removeListener('error', onError);
    client.release(broken);
  }
}

/** Runs `fn` in a transaction on a client of `pool`: BEGIN, then COMMIT, or ROLLBACK when `fn` throws. */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}
