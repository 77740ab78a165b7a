import type pg from 'pg';

/**
 * Error codes and messages that mean the connection or the server went away (terminated
 * backend, restart, failover, refused connection), as opposed to an error of the statement.
 */
const CONNECTION_CODES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  // Prisma: server unreachable, timed out, closed the connection; pool timeout.
  'P1001',
  'P1002',
  'P1017',
  'P2024',
]);

/** True when `err` says the database is unreachable rather than that the statement was wrong. */
export function isConnectionError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  if (
    /DatabaseNotReachable|ConnectionClosed|Can't reach database|Connection terminated|connection timeout|terminating connection|Client has encountered a connection error|ECONNREFUSED|the database system is|not currently accepting connections/i.test(
      msg,
    )
  ) {
    return true;
  }
  return e.cause !== undefined && e.cause !== err && isConnectionError(e.cause);
}

/**
 * Runs `fn` on a client checked out of `pool`. While checked out, a pg client has no error
 * listener of the pool's: a backend terminated between two statements (pg_terminate_backend,
 * a restart, a failover) would emit an unhandled 'error' and end the process. This listener
 * takes that error, and the broken client is destroyed on release instead of returning to the pool.
 */
export async function withPgClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (err) {
    if (isConnectionError(err)) broken ??= err as Error;
    throw err;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
