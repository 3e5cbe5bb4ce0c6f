import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { randomIds, systemClock } from '../platform.ts';
import { accountLink, createAccount } from '../services/accounts.ts';
import { DAY, offlinePublisher, type Services } from '../services/context.ts';
import { accountRepository } from '../storage/account.repository.ts';
import { caseRepository } from '../storage/case.repository.ts';
import { openStoreForTool } from '../storage/single-process.ts';
import { Email, DisplayName, Password } from '@caucus/protocol';

const USAGE = `Usage: caucus <command> [options]

  admin create --email E --name N [--password P]     create an administrator
  mediator create --email E --name N [--password P]  create a mediator account
  link --email E                                     print a one-time sign-in link

Without --password, the account gets a one-time sign-in link to set its own.
The store is the one the server uses (DATABASE_URL, or SQLite in DATA_DIR).`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [noun, verb] = positionals;
  if (values.help || !noun) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  const db = await openStoreForTool(config);
  const svc: Services = {
    cases: caseRepository(db.kysely),
    accounts: accountRepository(db.kysely),
    publisher: offlinePublisher, // no live connections in a CLI process
    clock: systemClock,
    ids: randomIds,
    publicUrl: config.publicUrl,
    invitationTtlMs: 14 * DAY,
  };
  try {
    if ((noun === 'admin' || noun === 'mediator') && verb === 'create') {
      const email = Email.safeParse(values.email);
      const name = DisplayName.safeParse(values.name);
      if (!email.success) fail('--email: a valid e-mail address is required');
      if (!name.success) fail('--name: a display name is required');
      let password: string | null = null;
      if (values.password !== undefined) {
        const p = Password.safeParse(values.password);
        if (!p.success) fail('--password: at least 12 characters');
        password = p.data;
      }
      const account = await createAccount(svc, { email: email.data, displayName: name.data, role: noun, password });
      process.stdout.write(`Created ${noun} ${account.displayName} <${account.email}>.\n`);
      if (!password) process.stdout.write(`One-time sign-in link (valid 7 days): ${await accountLink(svc, account.id)}\n`);
    } else if (noun === 'link') {
      const account = values.email ? await svc.accounts.byEmail(values.email) : null;
      if (!account) fail('No account with that e-mail address.');
      process.stdout.write(`One-time sign-in link for ${account.email} (valid 7 days): ${await accountLink(svc, account.id)}\n`);
    } else {
      fail(USAGE);
    }
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) fail(err.message);
  fail(`caucus: ${err instanceof Error ? err.message : String(err)}`);
});
