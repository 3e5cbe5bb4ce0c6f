import type { Kysely } from 'kysely';
import type { Account, AccountStore } from '../services/ports.ts';
import type { Database } from './schema.ts';

const toAccount = (r: Database['accounts']): Account => ({
  id: r.id,
  email: r.email,
  displayName: r.display_name,
  role: r.role,
  passwordHash: r.password_hash,
  disabledAt: r.disabled_at,
  createdAt: r.created_at,
});

export function accountRepository(db: Kysely<Database>): AccountStore {
  return {
    async count() {
      const r = await db.selectFrom('accounts').select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async countAdmins() {
      const r = await db
        .selectFrom('accounts')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .where('role', '=', 'admin')
        .where('disabled_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async byEmail(email) {
      const r = await db.selectFrom('accounts').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
      return r ? toAccount(r) : null;
    },
    async byId(id) {
      const r = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toAccount(r) : null;
    },
    async list() {
      const rows = await db.selectFrom('accounts').selectAll().orderBy('created_at').execute();
      return rows.map(toAccount);
    },
    async create(a) {
      const r = await db
        .insertInto('accounts')
        .values({
          id: a.id,
          email: a.email.toLowerCase(),
          display_name: a.displayName,
          role: a.role,
          password_hash: a.passwordHash,
          disabled_at: a.disabledAt,
          created_at: a.createdAt,
        })
        .onConflict((oc) => oc.column('email').doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    async setPassword(id, hash) {
      await db.updateTable('accounts').set({ password_hash: hash }).where('id', '=', id).execute();
    },
    async setDisabled(id, at) {
      await db.updateTable('accounts').set({ disabled_at: at }).where('id', '=', id).execute();
    },
    async createSession(s, now) {
      await db
        .insertInto('auth_sessions')
        .values({ id_hash: s.idHash, account_id: s.accountId, participant_id: s.participantId, case_id: s.caseId, created_at: now, expires_at: s.expiresAt, revoked_at: null })
        .execute();
    },
    async session(idHash, now) {
      const r = await db
        .selectFrom('auth_sessions')
        .selectAll()
        .where('id_hash', '=', idHash)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return r ? { idHash: r.id_hash, accountId: r.account_id, participantId: r.participant_id, caseId: r.case_id, expiresAt: r.expires_at } : null;
    },
    async participantsSignedIn(participantIds, now) {
      const inNow = new Set<string>();
      for (let i = 0; i < participantIds.length; i += 500) {
        const rows = await db
          .selectFrom('auth_sessions')
          .select('participant_id')
          .distinct()
          .where('participant_id', 'in', participantIds.slice(i, i + 500))
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now)
          .execute();
        for (const r of rows) if (r.participant_id !== null) inNow.add(r.participant_id);
      }
      return inNow;
    },

    async liveSessions(idHashes, now) {
      const live = new Set<string>();
      for (let i = 0; i < idHashes.length; i += 500) {
        const rows = await db
          .selectFrom('auth_sessions')
          .select('id_hash')
          .where('id_hash', 'in', idHashes.slice(i, i + 500))
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now)
          .execute();
        for (const r of rows) live.add(r.id_hash);
      }
      return live;
    },
    async endSession(idHash, now) {
      await db.updateTable('auth_sessions').set({ revoked_at: now }).where('id_hash', '=', idHash).where('revoked_at', 'is', null).execute();
    },
    async endSessionsOfAccount(accountId, now) {
      await db.updateTable('auth_sessions').set({ revoked_at: now }).where('account_id', '=', accountId).where('revoked_at', 'is', null).execute();
    },
    async createToken(t) {
      await db
        .insertInto('account_tokens')
        .values({ token_hash: t.tokenHash, account_id: t.accountId, purpose: t.purpose, created_at: t.now, expires_at: t.expiresAt, used_at: null })
        .execute();
    },
    async useToken(tokenHash, purpose, now) {
      const r = await db
        .updateTable('account_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returning(['account_id'])
        .executeTakeFirst();
      return r ? { accountId: r.account_id } : null;
    },
    async endTokens(purpose, now) {
      await db.updateTable('account_tokens').set({ used_at: now }).where('purpose', '=', purpose).where('used_at', 'is', null).execute();
    },
  };
}
