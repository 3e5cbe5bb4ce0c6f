import {
  type CaseState,
  changedBeyondHeads,
  type Command,
  type CommandMap,
  type CommandType,
  type DomainEvent,
  decide,
  emptyCase,
  foldEvents,
  type ItemMeta,
  type StoredEvent,
} from '@caucus/domain';
import { hashToken, type IdGenerator, seededIds, sha256 } from '../../src/platform.ts';
import type { AuditHead, CaseStore, CommitInput } from '../../src/services/ports.ts';

/**
 * Builds commits the way services/case-engine.ts does — the real `decide`, positions
 * numbered per stream from the state's heads, the next state folded — so every commit
 * the contract suite sends is one the server could send. No hand-written events.
 */
export const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);

export function cmd<K extends CommandType>(type: K, input: CommandMap[K]): Command {
  return { type, input } as Command;
}

export interface Planned {
  readonly input: CommitInput;
  readonly next: CaseState;
  readonly events: readonly StoredEvent[];
}

export class CaseDriver {
  state: CaseState;
  /** Null until the creation commit went through. */
  version: number | null = null;
  /**
   * The audit head at `version`, from the last receipt, carried into the next commit as the
   * case engine does; undefined lets the store read it.
   */
  audit: AuditHead | undefined = undefined;
  now: number;
  private readonly ids: IdGenerator;

  constructor(
    public store: CaseStore,
    readonly caseId: string,
    now = T0,
  ) {
    this.state = emptyCase(caseId);
    this.now = now;
    this.ids = seededIds(`driver:${caseId}`);
  }

  advance(ms: number): void {
    this.now += ms;
  }

  /** Decides a command against the current state, without committing it. */
  plan(actorId: string | null, command: Command, opts: { item?: ItemMeta | null; extra?: Partial<CommitInput>; accountId?: string } = {}): Planned {
    const events = decide(this.state, command, { now: this.now, newId: (scope) => this.ids.next(scope), actorId, accountId: opts.accountId, item: opts.item });
    const heads: Record<string, number> = { ...this.state.heads };
    const stored = events.map((e: DomainEvent): StoredEvent => {
      const position = (heads[e.stream] ?? 0) + 1;
      heads[e.stream] = position;
      return { ...e, position };
    });
    const next = foldEvents(this.state, events);
    const input: CommitInput = {
      caseId: this.caseId,
      expectedVersion: this.version,
      expectedAudit: this.audit,
      state: next,
      stateChanged: changedBeyondHeads(this.state, next),
      events: stored,
      now: this.now,
      ...opts.extra,
    };
    return { input, next, events: stored };
  }

  /** Commits a plan; the driver moves on only when the store accepted it. */
  async commit(p: Planned): Promise<readonly StoredEvent[]> {
    const receipt = await this.store.commit(p.input);
    this.adopt(p, receipt ? receipt.audit : undefined);
    return p.events;
  }

  /** Moves on to a plan committed elsewhere (e.g. by another store on the same database). */
  adopt(p: Planned, audit: AuditHead | undefined): void {
    this.state = p.next;
    this.version = (this.version ?? 0) + 1;
    this.audit = audit;
  }

  run(actorId: string | null, command: Command, opts: Parameters<CaseDriver['plan']>[2] = {}): Promise<readonly StoredEvent[]> {
    return this.commit(this.plan(actorId, command, opts));
  }

  /** Posts a message and returns the stored `message.posted` event. */
  async post(actorId: string, stream: string, body: string, label: 'confidential' | 'shareable' | null = null): Promise<StoredEvent & { type: 'message.posted' }> {
    const [e] = await this.run(actorId, cmd('post-message', { stream, body, label }));
    if (!e || e.type !== 'message.posted') throw new Error('driver: expected message.posted');
    return e;
  }
}

export interface OpenedCase {
  readonly driver: CaseDriver;
  readonly lead: string;
  readonly co: string | null;
  readonly partyA: string;
  readonly repA: string;
  readonly partyB: string;
  readonly repB: string;
  readonly sideA: string;
  readonly sideB: string;
  /** Invitation token (not its hash) by participant id. */
  readonly tokens: ReadonlyMap<string, string>;
  readonly agreementText: string;
}

export const invitationToken = (caseId: string, participantId: string): string => `token:${caseId}:${participantId}`;

/**
 * Opens a two-sided case like services/create-case.ts (creation data, mediators and one
 * invitation per non-mediator in the same commit), then lets every side member accept.
 */
export async function openCase(
  store: CaseStore,
  o: { caseId: string; leadAccount: string; coAccount?: string; now?: number; regime?: 'opt-in' | 'opt-out'; accept?: boolean },
): Promise<OpenedCase> {
  const d = new CaseDriver(store, o.caseId, o.now);
  const agreementText = `Agreement to mediate ${o.caseId}`;
  const agreementHash = sha256(agreementText);
  const expiresAt = d.now + 14 * 86_400_000;
  const member = (role: 'party' | 'representative', displayName: string) => ({ role, displayName, email: null });
  const mediators = [{ accountId: o.leadAccount, displayName: 'Lead', email: 'lead@example.org', lead: true }];
  if (o.coAccount) mediators.push({ accountId: o.coAccount, displayName: 'Co', email: 'co@example.org', lead: false });
  const open = cmd('open-case', {
    title: `Case ${o.caseId}`,
    reference: `REF-${o.caseId}`,
    regime: o.regime ?? 'opt-in',
    agreementHash,
    settings: { requesterVisible: false, observersAllowed: false },
    sides: [
      { name: 'Tenant', members: [member('party', 'Party A'), member('representative', 'Counsel A')] },
      { name: 'Landlord', members: [member('party', 'Party B'), member('representative', 'Counsel B')] },
    ],
    mediators,
    observers: [],
    invitationExpiresAt: expiresAt,
  });
  const first = d.plan(null, open, { accountId: o.leadAccount });
  const participants = Object.values(first.next.participants);
  const tokens = new Map<string, string>();
  for (const p of participants) if (p.role !== 'mediator') tokens.set(p.id, invitationToken(o.caseId, p.id));
  await d.commit({
    ...first,
    input: {
      ...first.input,
      create: {
        createdBy: o.leadAccount,
        agreementText,
        mediators: participants.flatMap((p) => (p.role === 'mediator' && p.accountId ? [{ accountId: p.accountId, participantId: p.id }] : [])),
      },
      invitations: [...tokens].map(([participantId, token]) => ({ participantId, tokenHash: hashToken(token), expiresAt })),
    },
  });
  const byName = (name: string): string => {
    const p = participants.find((x) => x.displayName === name);
    if (!p) throw new Error(`driver: no participant ${name}`);
    return p.id;
  };
  const [sideA, sideB] = d.state.sides;
  if (!sideA || !sideB) throw new Error('driver: expected two sides');
  const opened: OpenedCase = {
    driver: d,
    lead: byName('Lead'),
    co: o.coAccount ? byName('Co') : null,
    partyA: byName('Party A'),
    repA: byName('Counsel A'),
    partyB: byName('Party B'),
    repB: byName('Counsel B'),
    sideA: sideA.id,
    sideB: sideB.id,
    tokens,
    agreementText,
  };
  if (o.accept ?? true) {
    for (const id of [opened.partyA, opened.repA, opened.partyB, opened.repB]) await d.run(id, cmd('accept-agreement', { agreementHash }));
  }
  return opened;
}
