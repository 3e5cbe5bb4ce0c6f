import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * PostgreSQL for tests. The URL comes from TEST_DATABASE_URL, else DATABASE_URL. Without
 * either, a developer laptop skips the PostgreSQL half with a printed reason; in CI
 * (CI=true) nothing is skipped: a missing URL or an unreachable server fails the tests.
 *
 * Every test gets its own database, created from the given URL and dropped afterwards,
 * so runs never see each other's rows and nothing is left behind.
 */
const baseUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || null;
const inCi = process.env.CI === 'true';

/** Why the PostgreSQL tests do not run here; null when they run (or must, in CI). */
export const postgresSkipReason: string | null =
  baseUrl === null && !inCi
    ? 'PostgreSQL tests skipped: neither TEST_DATABASE_URL nor DATABASE_URL is set ' +
      '(e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test). With CI=true they are mandatory.'
    : null;

/** Prints the skip reason (once per test file that calls it). */
export function warnIfPostgresSkipped(suite: string): void {
  if (postgresSkipReason) console.warn(`[${suite}] ${postgresSkipReason}`);
}

/** The URL without its password, for error messages. */
const shown = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
};

async function withAdmin<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new Error(`PostgreSQL at ${shown(url)} is unreachable: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface FreshDatabase {
  /** The URL of the new, empty database (same server, user and options as the base URL). */
  readonly url: string;
  /** Drops the database; close every pool on it first. */
  drop(): Promise<void>;
}

/** Creates an empty database `caucus_test_<random>` next to the one the base URL names. */
export async function freshPostgresDatabase(): Promise<FreshDatabase> {
  if (baseUrl === null) {
    throw new Error(
      postgresSkipReason ?? 'CI=true: PostgreSQL tests are mandatory, but neither TEST_DATABASE_URL nor DATABASE_URL is set.',
    );
  }
  const base = baseUrl;
  const name = `caucus_test_${randomBytes(6).toString('hex')}`;
  // The name is ours (hex only), so quoting it is enough; identifiers cannot be parameters.
  await withAdmin(base, (c) => c.query(`CREATE DATABASE "${name}"`));
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    // WITH (FORCE) (PostgreSQL 13+) also ends connections a failed test may have leaked.
    drop: () => withAdmin(base, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
