import { type AuditEntry, type CaseState, type ItemMeta, type Label, sealEntry, type StoredEvent, GENESIS } from '@caucus/domain';
import type { Kysely, Transaction } from 'kysely';
import { sha256 } from '../platform.ts';
import type { CaseStore, CommitInput, InvitationRow } from '../services/ports.ts';
import { VersionConflict } from '../services/ports.ts';
import type { Database } from './schema.ts';

const isUniqueViolation = (e: unknown): boolean => {
  const err = e as { code?: string; message?: string };
  return err.code === '23505' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || err.code === 'SQLITE_CONSTRAINT_UNIQUE';
};

/** Content hash for the audit trail: proves what was said without holding it (C10). */
const contentHash = (e: StoredEvent): string | null => (e.content ? sha256(JSON.stringify(e.content)) : null);

const toInvitation = (r: Database['invitations']): InvitationRow => ({
  caseId: r.case_id,
  participantId: r.participant_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  redeemedAt: r.redeemed_at,
});

export function caseRepository(db: Kysely<Database>, opts: { readonly commitLanes?: number } = {}): CaseStore {
  async function project(trx: Transaction<Database>, caseId: string, e: StoredEvent): Promise<void> {
    if (e.type === 'message.posted') {
      await trx
        .insertInto('items')
        .values({ message_id: e.data.messageId, case_id: caseId, stream: e.stream, author_id: e.data.authorId, label: e.data.label, conveyed: 0 })
        .execute();
    } else if (e.type === 'message.labelled') {
      await trx.updateTable('items').set({ label: e.data.label }).where('message_id', '=', e.data.messageId).where('case_id', '=', caseId).execute();
    }
  }

  /** One command's writes: events, contents, projections, audit, the case row, idempotency. */
  async function write(trx: Transaction<Database>, input: CommitInput): Promise<void> {
    const { caseId, state, events, now } = input;
    let seq = 0;
    let prev = GENESIS;
    if (input.expectedVersion === null) {
      const c = input.create;
      if (!c) throw new Error('creating a case needs its creation data');
      await trx
        .insertInto('cases')
        .values({
          id: caseId,
          created_by: c.createdBy,
          status: state.status,
          title: state.title,
          reference: state.reference,
          regime: state.regime,
          created_at: now,
          state: JSON.stringify(state),
          version: 1,
          audit_seq: 0,
          audit_hash: GENESIS,
        })
        .execute();
      await trx.insertInto('agreements').values({ case_id: caseId, hash: state.agreementHash, text: c.agreementText }).execute();
      if (c.mediators.length > 0)
        await trx
          .insertInto('case_mediators')
          .values(c.mediators.map((m) => ({ case_id: caseId, account_id: m.accountId, participant_id: m.participantId })))
          .execute();
    } else {
      // Claim the next version before writing anything else. On PostgreSQL this locks
      // the case row, so writers of one case queue here and the loser fails at once;
      // checking it last let them take event and audit keys in different orders and
      // deadlock (e.g. start-separate: session then mediators, vs a mediators' note).
      const head = await trx
        .updateTable('cases')
        .set({ version: input.expectedVersion + 1 })
        .where('id', '=', caseId)
        .where('version', '=', input.expectedVersion)
        .returning(['audit_seq', 'audit_hash'])
        .executeTakeFirst();
      if (!head) throw new VersionConflict('case changed concurrently');
      seq = head.audit_seq;
      prev = head.audit_hash;
    }
    for (const e of events) {
      await trx
        .insertInto('events')
        .values({ case_id: caseId, stream: e.stream, position: e.position, id: e.id, type: e.type, actor_id: e.actorId, at: e.at, data: JSON.stringify(e.data) })
        .execute();
      if (e.content) await trx.insertInto('contents').values({ event_id: e.id, case_id: caseId, body: JSON.stringify(e.content) }).execute();
      await project(trx, caseId, e);
      seq += 1;
      const entry = sealEntry(caseId, { seq, eventId: e.id, type: e.type, actorId: e.actorId, stream: e.stream, at: e.at, contentHash: contentHash(e), prevHash: prev }, sha256);
      prev = entry.hash;
      await trx
        .insertInto('audit')
        .values({
          case_id: caseId,
          seq,
          event_id: entry.eventId,
          type: entry.type,
          actor_id: entry.actorId,
          stream: entry.stream,
          at: entry.at,
          content_hash: entry.contentHash,
          prev_hash: entry.prevHash,
          hash: entry.hash,
        })
        .execute();
    }
    await trx.updateTable('cases').set({ state: JSON.stringify(state), status: state.status, audit_seq: seq, audit_hash: prev }).where('id', '=', caseId).execute();
    const ending = [...(input.endInvitationsOf ?? [])];
    if (ending.length > 0)
      await trx
        .updateTable('invitations')
        .set({ revoked_at: now })
        .where('case_id', '=', caseId)
        .where('participant_id', 'in', ending)
        .where('revoked_at', 'is', null)
        .execute();
    for (const inv of input.invitations ?? [])
      await trx
        .insertInto('invitations')
        .values({ token_hash: inv.tokenHash, case_id: caseId, participant_id: inv.participantId, created_at: now, expires_at: inv.expiresAt, revoked_at: null, redeemed_at: null })
        .execute();
    const sessionsOf = [...(input.endSessionsOf ?? [])];
    if (sessionsOf.length > 0)
      await trx.updateTable('auth_sessions').set({ revoked_at: now }).where('participant_id', 'in', sessionsOf).where('revoked_at', 'is', null).execute();
    if (input.idempotency) {
      const i = input.idempotency;
      await trx.insertInto('idempotency').values({ scope: i.scope, key: i.key, request_hash: i.requestHash, response: i.response, created_at: now }).execute();
    }
  }

  const asConflict = (e: unknown): unknown => (e instanceof VersionConflict ? e : isUniqueViolation(e) ? new VersionConflict('case changed concurrently') : e);

  async function commit(input: CommitInput): Promise<void> {
    try {
      await db.transaction().execute((trx) => write(trx, input));
    } catch (e) {
      throw asConflict(e);
    }
  }

  return {
    async load(caseId) {
      const row = await db.selectFrom('cases').select(['state', 'version']).where('id', '=', caseId).executeTakeFirst();
      return row ? { state: JSON.parse(row.state) as CaseState, version: row.version } : null;
    },

    commit,
    commitLanes: opts.commitLanes ?? 1,

    async commitMany(inputs) {
      if (inputs.length > 1) {
        try {
          await db.transaction().execute(async (trx) => {
            for (const input of inputs) await write(trx, input);
          });
          return inputs.map(() => null);
        } catch {
          // One of them failed, so the transaction wrote nothing: commit each alone, for its own answer.
        }
      }
      const out: (Error | null)[] = [];
      for (const input of inputs) {
        try {
          await commit(input);
          out.push(null);
        } catch (e) {
          out.push(e instanceof Error ? e : new Error(String(e)));
        }
      }
      return out;
    },

    async readStream(caseId, stream, after, limit) {
      const rows = await db
        .selectFrom('events')
        .leftJoin('contents', 'contents.event_id', 'events.id')
        .select(['events.id', 'events.stream', 'events.position', 'events.type', 'events.actor_id', 'events.at', 'events.data', 'contents.body'])
        .where('events.case_id', '=', caseId)
        .where('events.stream', '=', stream)
        .where('events.position', '>', after)
        .orderBy('events.position')
        .limit(limit)
        .execute();
      return rows.map(
        (r) =>
          ({
            id: r.id,
            stream: r.stream,
            position: r.position,
            type: r.type,
            actorId: r.actor_id,
            at: r.at,
            data: JSON.parse(r.data) as unknown,
            content: r.body ? (JSON.parse(r.body) as unknown) : null,
          }) as StoredEvent,
      );
    },

    async item(caseId, messageId): Promise<ItemMeta | null> {
      const r = await db.selectFrom('items').selectAll().where('case_id', '=', caseId).where('message_id', '=', messageId).executeTakeFirst();
      return r ? { id: r.message_id, stream: r.stream, authorId: r.author_id, label: r.label as Label | null, conveyed: r.conveyed === 1 } : null;
    },

    async agreement(caseId) {
      const r = await db.selectFrom('agreements').select(['text', 'hash']).where('case_id', '=', caseId).executeTakeFirst();
      return r ?? null;
    },

    async audit(caseId) {
      const rows = await db.selectFrom('audit').selectAll().where('case_id', '=', caseId).orderBy('seq').execute();
      const head = await db.selectFrom('cases').select(['audit_seq', 'audit_hash']).where('id', '=', caseId).executeTakeFirst();
      const entries: AuditEntry[] = rows.map((r) => ({
        seq: r.seq,
        eventId: r.event_id,
        type: r.type,
        actorId: r.actor_id,
        stream: r.stream,
        at: r.at,
        contentHash: r.content_hash,
        prevHash: r.prev_hash,
        hash: r.hash,
      }));
      return { entries, head: { seq: head?.audit_seq ?? 0, hash: head?.audit_hash ?? GENESIS } };
    },

    async findIdempotent(scope, key) {
      const r = await db.selectFrom('idempotency').select(['request_hash', 'response']).where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
      return r ? { requestHash: r.request_hash, response: r.response } : null;
    },

    async invitationByToken(tokenHash) {
      const r = await db.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return r ? toInvitation(r) : null;
    },

    async invitationsOf(caseId) {
      const rows = await db.selectFrom('invitations').selectAll().where('case_id', '=', caseId).orderBy('created_at').execute();
      return rows.map(toInvitation);
    },

    async markRedeemed(tokenHash, at) {
      const r = await db
        .updateTable('invitations')
        .set({ redeemed_at: at })
        .where('token_hash', '=', tokenHash)
        .where('redeemed_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async casesOfAccount(accountId) {
      return db
        .selectFrom('cases')
        .innerJoin('case_mediators', 'case_mediators.case_id', 'cases.id')
        .select(['cases.id', 'cases.title', 'cases.reference', 'cases.status', 'cases.created_at as createdAt'])
        .where('case_mediators.account_id', '=', accountId)
        .orderBy('cases.created_at', 'desc')
        .execute();
    },

    async allCases() {
      const rows = await db
        .selectFrom('cases')
        .leftJoin('case_mediators', 'case_mediators.case_id', 'cases.id')
        .select(({ fn }) => ['cases.id', 'cases.title', 'cases.reference', 'cases.status', 'cases.created_at as createdAt', fn.count<number>('case_mediators.account_id').as('mediators')])
        .groupBy(['cases.id', 'cases.title', 'cases.reference', 'cases.status', 'cases.created_at'])
        .orderBy('cases.created_at', 'desc')
        .execute();
      return rows.map((r) => ({ ...r, mediators: Number(r.mediators) }));
    },
  };
}
