import type { Command, CommandOf, CommandType } from './commands.ts';
import { conflict, DomainError, forbidden, invalid, notFound } from './errors.ts';
import type { DomainEvent, EventContentMap, EventDataMap, EventType } from './events.ts';
import { evolve } from './evolve.ts';
import { effectivePhase } from './session.ts';
import { caucusStream, JOINT, MEDIATORS, parseStream, SESSION } from './streams.ts';
import { defaultLabel, type CaseState, type ItemMeta, type Participant } from './types.ts';
import { activeMember, mayObserve, mayPost } from './visibility.ts';

/**
 * Turns a command into events, or refuses it with a DomainError. Pure: the clock and
 * the id generator come in through the context (seeded in tests, so scenarios replay
 * exactly). Ids are drawn per scope (the stream an event goes to) so that activity in
 * one stream never shifts the ids another stream sees (C8).
 */
export interface DecideContext {
  readonly now: number;
  readonly newId: (scope: string) => string;
  /** The actor's participant id; null only for `open-case`, which has no case yet. */
  readonly actorId: string | null;
  /** The account behind the actor (for `open-case`). */
  readonly accountId?: string;
  /** Message metadata, loaded by the service for `set-label`. */
  readonly item?: ItemMeta | null;
}

type Emit = <K extends EventType>(
  type: K,
  stream: string,
  data: EventDataMap[K],
  content?: K extends keyof EventContentMap ? EventContentMap[K] : never,
) => void;

type Handler<K extends CommandType> = (state: CaseState, cmd: CommandOf<K>['input'], ctx: DecideContext, emit: Emit, actor: Participant | null) => void;

const requireMediator = (actor: Participant | null): Participant => {
  if (!actor) throw notFound();
  if (actor.role !== 'mediator') throw forbidden('Only a mediator of this case can do that.');
  return actor;
};

const requireSideMember = (actor: Participant | null): Participant & { sideId: string } => {
  if (!actor) throw notFound();
  if ((actor.role !== 'party' && actor.role !== 'representative') || actor.sideId === null)
    throw forbidden('Only a party or a representative can do that.');
  return actor as Participant & { sideId: string };
};

const requireSide = (state: CaseState, sideId: string): void => {
  if (!state.sides.some((s) => s.id === sideId)) throw notFound('No such side in this case.');
};

const requireLive = (state: CaseState, ctx: DecideContext, ...allowed: string[]): void => {
  const phase = effectivePhase(state.session, ctx.now);
  if (!allowed.includes(phase)) throw conflict(`Not possible while the session phase is "${phase}".`);
};

const handlers: { [K in CommandType]: Handler<K> } = {
  'open-case': (state, c, ctx, emit) => {
    if (Object.keys(state.participants).length > 0) throw conflict('This case is already open.');
    if (c.sides.length < 2) throw invalid('A case needs at least two sides.');
    if (!c.mediators.some((m) => m.lead)) throw invalid('A case needs a lead mediator.');
    if (c.observers.length > 0 && !c.settings.observersAllowed) throw invalid('Observers are not allowed by this case\'s settings.');
    const sides = c.sides.map((s) => ({ id: ctx.newId('side'), name: s.name }));
    emit('case.opened', SESSION, { title: c.title, reference: c.reference, regime: c.regime, agreementHash: c.agreementHash, settings: c.settings, sides });
    const add = (role: Participant['role'], sideId: string | null, accountId: string | null, displayName: string, email: string | null, lead = false): string => {
      const participantId = ctx.newId('participant');
      emit('participant.added', SESSION, { participantId, role, sideId, accountId, displayName, ...(lead ? { lead: true as const } : {}) });
      if (email) emit('participant.contact', MEDIATORS, { participantId }, { email });
      return participantId;
    };
    for (const m of c.mediators) {
      const id = add('mediator', null, m.accountId, m.displayName, m.email, m.lead);
      // The lead mediator wrote (or chose) the agreement; opening the case is their acceptance.
      if (m.lead) emit('agreement.accepted', SESSION, { participantId: id, agreementHash: c.agreementHash, floors: null });
    }
    const invited: string[] = [];
    c.sides.forEach((s, i) => {
      for (const m of s.members) invited.push(add(m.role, sides[i]?.id ?? null, null, m.displayName, m.email));
    });
    for (const o of c.observers) invited.push(add('observer', null, null, o.displayName, o.email));
    for (const participantId of invited) emit('invitation.issued', MEDIATORS, { participantId, expiresAt: c.invitationExpiresAt });
  },
  'add-participant': (state, c, ctx, emit, actor) => {
    requireMediator(actor);
    if (c.role === 'observer') {
      if (!state.settings.observersAllowed) throw conflict('Observers are not allowed by this case\'s settings.');
      if (c.sideId !== null) throw invalid('An observer belongs to no side.', { path: 'sideId' });
    } else {
      if (c.sideId === null) throw invalid('A party or representative belongs to a side.', { path: 'sideId' });
      requireSide(state, c.sideId);
    }
    const participantId = ctx.newId('participant');
    emit('participant.added', SESSION, { participantId, role: c.role, sideId: c.sideId, accountId: null, displayName: c.displayName });
    if (c.email) emit('participant.contact', MEDIATORS, { participantId }, { email: c.email });
  },
  'remove-participant': (state, c, _ctx, emit, actor) => {
    const me = requireMediator(actor);
    const p = state.participants[c.participantId];
    if (!p || p.removed) throw notFound('No such participant.');
    if (p.id === me.id) throw conflict('You cannot remove yourself from a case.');
    if (p.lead) throw forbidden('The lead mediator cannot be removed from the case.');
    emit('participant.removed', SESSION, { participantId: p.id });
  },
  'issue-invitation': (state, c, _ctx, emit, actor) => {
    requireMediator(actor);
    const p = state.participants[c.participantId];
    if (!p || p.removed) throw notFound('No such participant.');
    if (p.role === 'mediator') throw conflict('Mediators sign in with their account, not an invitation.');
    emit('invitation.issued', MEDIATORS, { participantId: p.id, expiresAt: c.expiresAt });
  },
  'revoke-invitation': (state, c, _ctx, emit, actor) => {
    requireMediator(actor);
    const p = state.participants[c.participantId];
    if (!p || p.removed || p.role === 'mediator') throw notFound('No such participant.');
    emit('invitation.revoked', MEDIATORS, { participantId: p.id });
  },
  'accept-agreement': (state, c, _ctx, emit) => {
    const p = _ctx.actorId ? state.participants[_ctx.actorId] : undefined;
    if (!p || p.removed) throw notFound();
    if (p.acceptedAt !== null) return; // accepting twice changes nothing
    if (c.agreementHash !== state.agreementHash)
      throw conflict('The agreement to mediate has changed; read it again before accepting.');
    // Observers see only what happens after their admission (C6).
    const floors = p.role === 'observer' ? { [SESSION]: state.heads[SESSION] ?? 0, [JOINT]: state.heads[JOINT] ?? 0 } : null;
    emit('agreement.accepted', SESSION, { participantId: p.id, agreementHash: c.agreementHash, floors });
  },
  'start-session': (state, _c, ctx, emit, actor) => {
    requireMediator(actor);
    requireLive(state, ctx, 'none');
    emit('session.started', SESSION, { sessionNo: state.session.sessionNo + 1 });
  },
  'start-separate': (state, c, ctx, emit, actor) => {
    requireMediator(actor);
    requireLive(state, ctx, 'joint', 'paused', 'reconvening');
    requireSide(state, c.sideId);
    emit('separate.started', SESSION, { sessionNo: state.session.sessionNo, sideId: c.sideId });
    if (c.purpose) emit('separate.purpose', MEDIATORS, { sessionNo: state.session.sessionNo, sideId: c.sideId }, { purpose: c.purpose });
  },
  'move-mediator': (state, c, ctx, emit, actor) => {
    requireMediator(actor);
    requireLive(state, ctx, 'separate');
    if (c.sideId !== null) requireSide(state, c.sideId);
    if (state.session.mediatorRoom === c.sideId) return;
    emit('mediator.moved', SESSION, { sideId: c.sideId });
  },
  reconvene: (state, c, ctx, emit, actor) => {
    requireMediator(actor);
    requireLive(state, ctx, 'separate', 'paused', 'reconvening');
    if (c.countdownSeconds > 0) emit('session.reconvening', SESSION, { reconveneAt: ctx.now + c.countdownSeconds * 1000 });
    else emit('session.joint-opened', SESSION, {});
  },
  'open-joint': (state, _c, ctx, emit, actor) => {
    requireMediator(actor);
    requireLive(state, ctx, 'paused', 'reconvening', 'separate');
    emit('session.joint-opened', SESSION, {});
  },
  pause: (state, _c, ctx, emit, actor) => {
    requireMediator(actor);
    requireLive(state, ctx, 'joint', 'separate', 'reconvening');
    emit('session.paused', SESSION, {});
  },
  'end-session': (state, _c, ctx, emit, actor) => {
    requireMediator(actor);
    requireLive(state, ctx, 'joint', 'separate', 'reconvening', 'paused');
    emit('session.ended', SESSION, { sessionNo: state.session.sessionNo });
  },
  'close-case': (state, _c, ctx, emit, actor) => {
    const me = requireMediator(actor);
    // Closing destroys the case's content for good: the lead mediator's decision alone (in a
    // case opened before the lead was recorded, any mediator's).
    const lead = Object.values(state.participants).find((p) => p.lead && !p.removed);
    if (lead && lead.id !== me.id) throw forbidden('Only the lead mediator can close the case.');
    // A live session ends with the case: nobody is left in a room of a closed case.
    if (effectivePhase(state.session, ctx.now) !== 'none') emit('session.ended', SESSION, { sessionNo: state.session.sessionNo });
    emit('case.closed', SESSION, {});
  },
  'signal-ready': (state, _c, ctx, emit, actor) => {
    const me = requireSideMember(actor);
    requireLive(state, ctx, 'separate', 'reconvening');
    if (state.session.ready.includes(me.sideId)) return;
    // Goes to the side's own room: other sides must not learn of it (C8).
    emit('side.ready', caucusStream(me.sideId), { sideId: me.sideId });
  },
  'post-message': (state, c, ctx, emit, actor) => {
    if (!actor || !mayObserve(state, actor.id, { stream: c.stream })) throw notFound('No such room.'); // C5, C9
    if (parseStream(c.stream)?.kind === 'session') throw invalid('The session stream records what happens; nobody writes messages in it.', { path: 'stream' });
    const phase = effectivePhase(state.session, ctx.now);
    if (!mayPost(state, actor.id, c.stream, phase)) {
      throw actor.role === 'observer'
        ? forbidden('Observers cannot write in the mediation.')
        : conflict('The joint room is closed while the mediator holds separate sessions or the session is paused.');
    }
    const kind = parseStream(c.stream)?.kind;
    const label = kind === 'caucus' ? (c.label ?? defaultLabel(state.regime)) : null;
    if (kind !== 'caucus' && c.label !== null) throw invalid('Only items in a separate-session room carry a label.', { path: 'label' });
    emit('message.posted', c.stream, { messageId: ctx.newId(c.stream), authorId: actor.id, label }, { body: c.body });
  },
  'set-label': (state, c, ctx, emit, actor) => {
    const item = ctx.item;
    // Observers label nothing; and an item's metadata has no position to hold against their
    // admission floor (C6), so any answer but "not found" would confirm a message from
    // before they came (C9).
    if (!actor || actor.role === 'observer' || !item || !mayObserve(state, actor.id, { stream: item.stream })) throw notFound('No such message.');
    if (item.label === null) throw conflict('Only items in a separate-session room carry a label.');
    const author = state.participants[item.authorId];
    // C4: only the author's side changes a label; the mediators' own items are theirs to label.
    const sameSide = author?.role === 'mediator' ? actor.role === 'mediator' : author?.sideId !== null && author?.sideId === actor.sideId;
    if (!sameSide) throw forbidden("Only the author's side can change this item's label.");
    if (item.label === c.label) return;
    if (item.conveyed && c.label === 'confidential')
      throw conflict('This item has already been shared with the other side; it cannot be made confidential again.');
    emit('message.labelled', item.stream, { messageId: item.id, label: c.label });
  },
  'request-caucus': (state, c, ctx, emit, actor) => {
    const me = requireSideMember(actor);
    const stream = caucusStream(me.sideId);
    const requestId = ctx.newId(stream);
    emit('caucus.requested', stream, { requestId, requesterId: me.id }, { reason: c.reason ?? '' });
    // C12: other sides learn who asked only when the case's settings say so.
    if (state.settings.requesterVisible) emit('caucus.requested-public', SESSION, { sideId: me.sideId });
  },
  'answer-request': (state, c, ctx, emit, actor) => {
    requireMediator(actor);
    const r = state.requests[c.requestId];
    if (!r) throw notFound('No such request.');
    if (r.status === 'accepted' || r.status === 'declined') throw conflict('This request has already been answered.');
    emit('caucus.answered', caucusStream(r.sideId), { requestId: r.id, answer: c.answer }, { reply: c.reply ?? '' });
    if (c.answer !== 'accepted') return;
    // Accepting starts separate sessions with the requesting side, or takes the mediator there.
    const phase = effectivePhase(state.session, ctx.now);
    if (phase === 'separate') {
      if (state.session.mediatorRoom !== r.sideId) emit('mediator.moved', SESSION, { sideId: r.sideId });
    } else {
      if (phase === 'none') emit('session.started', SESSION, { sessionNo: state.session.sessionNo + 1 });
      emit('separate.started', SESSION, { sessionNo: phase === 'none' ? state.session.sessionNo + 1 : state.session.sessionNo, sideId: r.sideId });
    }
  },
};

/** Decides a command against the state; returns the events (empty when nothing changes). */
export function decide(state: CaseState, command: Command, ctx: DecideContext): DomainEvent[] {
  if (state.status === 'closed') throw conflict('This case is closed.');
  const actor = command.type === 'open-case' ? null : activeMember(state, ctx.actorId);
  if (command.type !== 'open-case' && command.type !== 'accept-agreement' && !actor) {
    const p = ctx.actorId ? state.participants[ctx.actorId] : undefined;
    if (p && !p.removed && p.acceptedAt === null) throw new DomainError('agreement_required', 'Accept the agreement to mediate first.');
    throw notFound();
  }
  const events: DomainEvent[] = [];
  let running = state;
  const emit: Emit = (type, stream, data, content) => {
    const e = { id: ctx.newId(stream), type, stream, actorId: ctx.actorId, at: ctx.now, data, content: content ?? null } as DomainEvent;
    events.push(e);
    running = evolve(running, e);
  };
  const handler = handlers[command.type] as Handler<CommandType>;
  handler(running, command.input, ctx, emit, actor);
  return events;
}
