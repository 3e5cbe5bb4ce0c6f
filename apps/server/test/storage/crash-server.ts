/**
 * A real server on SQLite in $DATA_DIR, for the kill -9 test (durability.test.ts). Run as
 * `node --import tsx crash-server.ts` with DATA_DIR, PUBLIC_URL, MEDIATOR_EMAIL and
 * MEDIATOR_PASSWORD. Ensures the mediator account exists, then prints `READY <port>` on
 * its own line. It is killed, never stopped: no shutdown handler.
 */
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { createAccount } from '../../src/services/accounts.ts';

const { DATA_DIR, PUBLIC_URL, MEDIATOR_EMAIL, MEDIATOR_PASSWORD } = process.env;
if (!DATA_DIR || !PUBLIC_URL || !MEDIATOR_EMAIL || !MEDIATOR_PASSWORD) throw new Error('crash-server: DATA_DIR, PUBLIC_URL, MEDIATOR_EMAIL and MEDIATOR_PASSWORD are required');
// Always SQLite: the configuration is built here, so a DATABASE_URL in the environment is ignored.
const config = loadConfig({ PORT: '0', DATA_DIR, LOG_LEVEL: 'silent', PUBLIC_URL });
const server = await startServer(config);
if (!(await server.svc.accounts.byEmail(MEDIATOR_EMAIL))) {
  await createAccount(server.svc, { email: MEDIATOR_EMAIL, displayName: 'Crash Mediator', role: 'mediator', password: MEDIATOR_PASSWORD });
}
process.stdout.write(`READY ${server.port}\n`);
