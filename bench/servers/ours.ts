/**
 * The real Caucus server (startServer), SQLite in a temporary DATA_DIR (WAL,
 * synchronous=FULL) or PostgreSQL when BENCH_DATABASE_URL is set. Provisioning goes
 * through the real services in this process before any clock starts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateCaseBody } from '@caucus/protocol';
import { sql } from 'kysely';
import { loadConfig } from '../../apps/server/src/config.ts';
import { hashToken, newToken } from '../../apps/server/src/platform.ts';
import { startServer } from '../../apps/server/src/server.ts';
import type { Principal } from '../../apps/server/src/services/access.ts';
import { createAccount } from '../../apps/server/src/services/accounts.ts';
import { acceptAgreement, readAgreement } from '../../apps/server/src/services/agreement.ts';
import { runCaseCommand } from '../../apps/server/src/services/case-actions.ts';
import { caseEngine } from '../../apps/server/src/services/case-engine.ts';
import { createCase } from '../../apps/server/src/services/create-case.ts';
import { redeemInvitation } from '../../apps/server/src/services/invitations.ts';
import type { CaseCred, ClientCred, Provisioned, Target } from '../lib/types.ts';

const ORIGIN = 'http://caucus.bench';
const DAY = 24 * 3600 * 1000;

export async function startOurs(): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-bench-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL || null;
  const config = { ...loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', PUBLIC_URL: ORIGIN }), databaseUrl };
  const server = await startServer(config);
  const { svc } = server;
  // A second engine over the same store, for provisioning only: the server's own engine has
  // not cached these cases yet and loads them from the store on the first live connection.
  const engine = caseEngine(svc);
  let provisioned = 0;

  async function oneCase(i: number): Promise<CaseCred> {
    const now = svc.clock.now();
    const account = await createAccount(svc, { email: `m${i}-${newToken(4)}@bench.test`, displayName: `Mediator ${i}`, role: 'mediator', password: null });
    const sid = newToken(32);
    await svc.accounts.createSession({ idHash: hashToken(sid), accountId: account.id, participantId: null, caseId: null, expiresAt: now + DAY }, now);
    const mediator: Principal = { kind: 'account', account, sessionHash: hashToken(sid) };
    const created = await createCase(
      svc,
      engine,
      mediator,
      CreateCaseBody.parse({
        title: `Bench case ${i}`,
        reference: `B-${i}`,
        regime: 'opt-in',
        settings: { requesterVisible: false, observersAllowed: false },
        sides: [
          { name: 'Tenant', members: [{ role: 'party', displayName: `Ana ${i}` }, { role: 'representative', displayName: `Rui ${i}` }] },
          { name: 'Landlord', members: [{ role: 'party', displayName: `Bea ${i}` }, { role: 'representative', displayName: `Ben ${i}` }] },
        ],
      }),
      null,
    );
    const caseId = created.case.id;
    const sideIds = created.case.sides.map((s) => s.id);
    const mediatorPid = created.case.me.participantId;
    const { hash } = await readAgreement(svc, engine, mediator, caseId);
    const clients: ClientCred[] = [{ pid: mediatorPid, role: 'mediator', side: null, cookie: `caucus_acct=${sid}`, as: null }];
    for (const [s, sideId] of sideIds.entries()) {
      for (const p of created.case.participants.filter((x) => x.sideId === sideId)) {
        const link = created.invitations.find((l) => l.participantId === p.id);
        if (!link) throw new Error('no invitation');
        const token = new URL(link.url).hash.replace('#token=', '');
        const r = await redeemInvitation(svc, engine, token);
        const principal: Principal = { kind: 'participant', participantId: r.participantId, caseId, sessionHash: hashToken(r.sessionId) };
        await acceptAgreement(svc, engine, principal, caseId, hash);
        clients.push({ pid: r.participantId, role: p.role as 'party' | 'representative', side: s as 0 | 1, cookie: `caucus_p_${r.participantId}=${r.sessionId}`, as: r.participantId });
      }
    }
    await runCaseCommand(svc, engine, mediator, caseId, { type: 'start-session', input: {} }, null);
    const [a, b] = sideIds;
    if (!a || !b) throw new Error('two sides expected');
    // Order: mediator, A party, A representative, B party, B representative.
    const order = (c: ClientCred): number => (c.side === null ? 0 : 1 + c.side * 2 + (c.role === 'representative' ? 1 : 0));
    return { idx: i, caseId, sideIds: [a, b], clients: clients.sort((x, y) => order(x) - order(y)) };
  }

  return {
    ...(server.db.diskWaits ? { diskWaits: server.db.diskWaits } : {}),
    async provision(n) {
      const t0 = performance.now();
      // Provisioning is not measured: on SQLite it runs with synchronous=OFF, then FULL is restored
      // (and checked) before any clock starts. PostgreSQL provisions several cases at a time.
      if (server.db.engine === 'sqlite') await sql`pragma synchronous = OFF`.execute(server.db.kysely);
      const cases: CaseCred[] = [];
      const parallel = server.db.engine === 'sqlite' ? 1 : 16;
      const start = provisioned;
      let next = start;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < start + n) {
            const i = next++;
            cases.push(await oneCase(i));
          }
        }),
      );
      provisioned += n;
      if (server.db.engine === 'sqlite') {
        await sql`pragma synchronous = FULL`.execute(server.db.kysely);
        const r = await sql<{ synchronous: number }>`pragma synchronous`.execute(server.db.kysely);
        if (r.rows[0]?.synchronous !== 2) throw new Error('synchronous=FULL was not restored');
      }
      cases.sort((x, y) => x.idx - y.idx);
      const p: Provisioned = { url: server.url, origin: ORIGIN, cases, engine: server.db.engine, provisionMs: performance.now() - t0 };
      return p;
    },
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
