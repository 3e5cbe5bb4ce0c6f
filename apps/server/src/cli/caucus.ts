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
  // Everything checked before the store is opened: a refusal leaves it as it was (and its lock free).
  type Job = { kind: 'create'; role: 'admin' | 'mediator'; email: string; displayName: string; password: string | null } | { kind: 'link'; email: string | undefined };
  let job: Job;
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
    job = { kind: 'create', role: noun, email: email.data, displayName: name.data, password };
  } else if (noun === 'link') {
    job = { kind: 'link', email: values.email };
  } else {
    fail(USAGE);
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
  let refusal: string | null = null;
  try {
    if (job.kind === 'create') {
      const account = await createAccount(svc, { email: job.email, displayName: job.displayName, role: job.role, password: job.password });
      process.stdout.write(`Created ${job.role} ${account.displayName} <${account.email}>.\n`);
      if (!job.password) process.stdout.write(`One-time sign-in link (valid 7 days): ${await accountLink(svc, account.id)}\n`);
    } else {
      const account = job.email ? await svc.accounts.byEmail(job.email) : null;
      if (!account) refusal = 'No account with that e-mail address.';
      else process.stdout.write(`One-time sign-in link for ${account.email} (valid 7 days): ${await accountLink(svc, account.id)}\n`);
    }
  } finally {
    await db.close(); // before any exit: it lets go of the store's lock
  }
  if (refusal) fail(refusal);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) fail(err.message);
  fail(`caucus: ${err instanceof Error ? err.message : String(err)}`);
});
