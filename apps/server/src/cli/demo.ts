import { ConfigError, loadConfig } from '../config.ts';
import { hashToken, newToken, randomIds, systemClock } from '../platform.ts';
import { accountLink, createAccount } from '../services/accounts.ts';
import { caseEngine } from '../services/case-engine.ts';
import { DAY, offlinePublisher, type Services } from '../services/context.ts';
import { createCase } from '../services/create-case.ts';
import { accountRepository } from '../storage/account.repository.ts';
import { caseRepository } from '../storage/case.repository.ts';
import { openStoreForTool } from '../storage/single-process.ts';

/**
 * Fills the real store with a clearly named sample case (one mediator, two sides) and
 * prints the three personal links, so that a newcomer can try a caucus in three browser
 * windows. Running it again adds another sample case for the same demo mediator.
 */
const DEMO_EMAIL = 'demo-mediator@caucus.invalid';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openStoreForTool(config);
  const svc: Services = {
    cases: caseRepository(db.kysely),
    accounts: accountRepository(db.kysely),
    publisher: offlinePublisher, // a running server reads new cases from the store
    clock: systemClock,
    ids: randomIds,
    publicUrl: config.publicUrl,
    invitationTtlMs: 14 * DAY,
  };
  try {
    const mediator =
      (await svc.accounts.byEmail(DEMO_EMAIL)) ?? (await createAccount(svc, { email: DEMO_EMAIL, displayName: 'Demo Mediator', role: 'mediator', password: null }));
    // The case is created as the mediator would create it, through a session of theirs (a
    // command's access is confirmed in the store, C7): one for this run only, ended below.
    const sessionHash = hashToken(newToken(32));
    const now = systemClock.now();
    await svc.accounts.createSession({ idHash: sessionHash, accountId: mediator.id, participantId: null, caseId: null, expiresAt: now + 60_000 }, now);
    const principal = { kind: 'account' as const, account: mediator, sessionHash };
    // Numbered, so that several sample cases can be told apart in the case list.
    const n = (await svc.cases.casesOfAccount(mediator.id)).length + 1;
    const created = await createCase(
      svc,
      caseEngine(svc),
      principal,
      {
        title: `DEMO ${n} — Harbour Lane lease dispute (sample case)`,
        reference: `DEMO-${n}-${new Date().toISOString().slice(0, 10)}`,
        regime: 'opt-in',
        settings: { requesterVisible: false, observersAllowed: false },
        sides: [
          { name: 'Tenant', members: [{ role: 'party', displayName: 'Ana Tenant', email: null }] },
          { name: 'Landlord', members: [{ role: 'party', displayName: 'Ben Landlord', email: null }] },
        ],
        coMediators: [],
        observers: [],
      },
      null,
    ).finally(() => svc.accounts.endSession(sessionHash, systemClock.now()));
    const [a, b] = created.invitations;
    const out = [
      `Sample case created: ${created.case.title}`,
      '',
      'Open each link in its own browser window (the three can share one browser):',
      `  Mediator (Demo Mediator), one-time sign-in: ${await accountLink(svc, mediator.id)}`,
      `  Side A (${a?.displayName}): ${a?.url}`,
      `  Side B (${b?.displayName}): ${b?.url}`,
      '',
      `Personal links work once and expire in 14 days. The server must be running at ${config.publicUrl} (npm start).`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `demo failed: ${err instanceof Error ? err.message : String(err)}`}\n`);
  process.exit(1);
});
