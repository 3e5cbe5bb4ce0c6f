import { useEffect, useRef, useState } from 'react';
import { endpoints } from '../api/endpoints.ts';
import { Composer } from '../components/composer.tsx';
import { ConnectionBanner } from '../components/connection.tsx';
import { Conversation } from '../components/conversation.tsx';
import { Shell } from '../components/shell.tsx';
import { Loading, Notice } from '../components/ui.tsx';
import { t } from '../i18n/index.ts';
import { alertParty, installAlerts, setBaseTitle } from '../lib/alert.ts';
import { formatTime } from '../lib/format.ts';
import { useAction, useNow } from '../lib/hooks.ts';
import { caucusRequests, effectivePhase, mediatorAlerts, messagesOf, serverNow, unreadCount, type Label, type Message } from '../live/selectors.ts';
import { postMessage, useLiveCase } from '../live/use-live-case.ts';
import { PartyActions } from './party-actions.tsx';
import { partyAudience, partyDefaultRoom, partyStatus } from './party-status.ts';

/** The party's room: one banner that answers "who reads this?" and "where is the mediator?". */
export function PartyRoom(props: { caseId: string; as: string }) {
  const { caseId, as } = props;
  const live = useLiveCase(caseId, as);
  const { state, connection, store } = live;
  const now = useNow(1000);
  const view = state.view;
  const sNow = serverNow(state, now);
  const suggested = view ? partyDefaultRoom(view, sNow) : 'joint';
  const [room, setRoom] = useState<string | null>(null);
  const onScreen = room ?? suggested;
  const heading = useRef<HTMLHeadingElement>(null);
  const lastSuggested = useRef<string | null>(null);
  const [seen, setSeen] = useState<Record<string, number>>({});
  const labelAct = useAction();

  // Follow the session: when the phase moves the party to another room, or the mediator
  // comes into the party's own room, show that room and move focus to its heading, so
  // keyboard and screen-reader users are taken along (and nobody keeps reading the joint
  // room while the mediator waits for them in private).
  const mediatorHere = view !== null && view.me.sideId !== null && view.session.mediatorRoom === view.me.sideId;
  const follow = `${suggested}|${mediatorHere ? 'mediator-here' : ''}`;
  useEffect(() => {
    if (!view) return;
    if (lastSuggested.current !== null && lastSuggested.current !== follow) {
      setRoom(null);
      heading.current?.focus();
    }
    lastSuggested.current = follow;
  }, [follow, view]);

  useEffect(() => installAlerts(), []);
  useEffect(() => {
    if (view) setBaseTitle(t('title.room', { title: view.title }));
  }, [view]);
  useEffect(() => {
    if (!view || state.fresh.length === 0) return;
    const alerts = mediatorAlerts(view, store.takeFresh());
    if (alerts.length > 0) alertParty(true);
  }, [state.fresh, view, store]);
  useEffect(() => {
    if (state.status === 'live') connection.focus(onScreen);
  }, [onScreen, connection, state.status]);
  const caughtUpOnce = useRef(false);
  useEffect(() => {
    if (!state.caughtUp || caughtUpOnce.current) return;
    caughtUpOnce.current = true;
    setSeen(Object.fromEntries(Object.entries(state.streams).map(([id, st]) => [id, st.position])));
  }, [state.caughtUp, state.streams]);
  const position = state.streams[onScreen]?.position ?? 0;
  useEffect(() => {
    setSeen((s) => (s[onScreen] === position ? s : { ...s, [onScreen]: position }));
  }, [onScreen, position]);

  if (!view)
    return (
      <Shell>
        {/* Ended: the notice alone says so (the banner would repeat it). */}
        {state.status === 'ended' ? <Notice kind="error">{t('live.ended')}</Notice> : <><ConnectionBanner status={state.status} /><Loading /></>}
      </Shell>
    );

  const me = view.me;
  const mine = me.sideId ? `caucus:${me.sideId}` : null;
  const phase = effectivePhase(view, sNow);
  const status = partyStatus(view, onScreen, sNow);
  const rooms = [{ id: 'joint', name: t('room.joint') }, ...(mine ? [{ id: mine, name: t('room.yourPrivate') }] : [])];
  const roomName = rooms.find((r) => r.id === onScreen)?.name ?? '';
  const jointClosed = onScreen === 'joint' && !(phase === 'joint' || phase === 'none');
  const canWrite = me.role !== 'observer';
  const labelFor = view.regime === 'opt-in' ? 'confidential' : 'shareable';
  const requests = caucusRequests(state).filter((r) => r.sideId === me.sideId);

  const send = (body: string, label: Label | null) => postMessage(live, caseId, onScreen, body, label, as);
  const relabel = (m: Message, next: Label) =>
    void labelAct.run(async () => {
      await endpoints.command(caseId, `/messages/${encodeURIComponent(m.id)}/label`, { label: next }, as);
    });
  const sameSide = (m: Message) => view.participants.find((p) => p.id === m.authorId)?.sideId === me.sideId && me.sideId !== null;

  return (
    <Shell context={<span className="case-name">{view.title}</span>}>
      <div className="party">
        <ConnectionBanner status={state.status} />
        <section className={`status status-${status.tone}`} aria-labelledby="status-audience" data-testid="party-status">
          <p className="status-audience" id="status-audience">
            {status.audience}
          </p>
          <p className="status-where">{status.where}</p>
        </section>

        <nav className="tabs" aria-label={t('room.choose')}>
          {rooms.map((r) => {
            const unread = r.id === onScreen ? 0 : unreadCount(state, r.id, seen[r.id] ?? 0, me.participantId);
            return (
              <button
                key={r.id}
                type="button"
                className="tab"
                aria-current={r.id === onScreen ? 'true' : undefined}
                onClick={() => {
                  setRoom(r.id);
                  heading.current?.focus();
                }}
              >
                {r.name}
                {unread > 0 ? <span className="count" aria-label={t('room.unread', { count: unread })}>{unread}</span> : null}
              </button>
            );
          })}
        </nav>

        <section className="room" aria-labelledby="room-heading">
          <h1 id="room-heading" ref={heading} tabIndex={-1} className="room-heading">
            {roomName}
          </h1>
          <Conversation
            view={view}
            messages={messagesOf(state, onScreen)}
            label={t('room.conversation', { room: roomName })}
            empty={onScreen === 'joint' ? t('room.emptyJoint') : t('room.emptyPrivate')}
            canLabel={sameSide}
            onLabel={relabel}
          />
          {labelAct.error ? <Notice kind="error">{labelAct.error}</Notice> : null}
          {canWrite ? (
            <Composer
              key={onScreen}
              audience={partyAudience(view, onScreen)}
              roomName={roomName}
              closedReason={jointClosed ? t('composer.jointClosed') : null}
              label={onScreen === mine ? { initial: labelFor, explain: view.regime === 'opt-in' ? t('label.explainOptIn') : t('label.explainOptOut') } : null}
              onSend={send}
              onTyping={() => connection.typing(onScreen)}
            />
          ) : null}
        </section>

        {me.sideId ? (
          <PartyActions
            caseId={caseId}
            as={as}
            phase={phase}
            ready={view.session.ready.includes(me.sideId)}
            mediatorWithUs={view.session.mediatorRoom === me.sideId}
            requests={requests.map((r) => ({ ...r, time: formatTime(r.at) }))}
          />
        ) : null}
      </div>
    </Shell>
  );
}
