import { useEffect, useRef, useState } from 'react';
import { endpoints } from '../api/endpoints.ts';
import { Composer } from '../components/composer.tsx';
import { ConnectionBanner } from '../components/connection.tsx';
import { Conversation } from '../components/conversation.tsx';
import { Link, Shell } from '../components/shell.tsx';
import { Loading, Notice } from '../components/ui.tsx';
import { locale, t, tn } from '../i18n/index.ts';
import { useAction, useNow } from '../lib/hooks.ts';
import { useDocumentTitle } from '../lib/router.ts';
import { caucusRequests, effectivePhase, isTyping, messagesOf, nameOf, serverNow, unreadCount, type Label, type Message } from '../live/selectors.ts';
import { postMessage, useLiveCase } from '../live/use-live-case.ts';
import type { AccountInfo } from './require-account.tsx';
import { TimeBalanceMeter } from './console-balance.tsx';
import { PeoplePanel } from './console-people.tsx';
import { RequestQueue } from './console-requests.tsx';
import { audienceSentence, consoleRooms, roomInfo, suggestedRoom } from './console-rooms.ts';
import { CloseCasePanel } from './console-close.tsx';
import { SessionControls } from './console-session.tsx';
import { NotesDrawer } from './notes-drawer.tsx';

/** The mediator's live console: rooms, the room on screen under its audience banner, and the session's controls. */
export function MediatorConsole(props: { caseId: string; account: AccountInfo }) {
  const { caseId } = props;
  const live = useLiveCase(caseId, null);
  const { state, connection, store } = live;
  const now = useNow(1000);
  const view = state.view;
  const sNow = serverNow(state, now);
  const suggested = view ? suggestedRoom(view, sNow) : 'joint';
  const [room, setRoom] = useState<string>('joint');
  const [seen, setSeen] = useState<Record<string, number>>({});
  const [notesOpen, setNotesOpen] = useState(false);
  const banner = useRef<HTMLHeadingElement>(null);
  const lastSuggested = useRef<string | null>(null);
  const labelAct = useAction();
  useDocumentTitle(view ? t('title.console', { title: view.title }) : t('title.loading'));

  const show = (stream: string) => {
    setRoom(stream);
    // Focus goes to the audience banner: the first thing read in a new room is who reads it.
    window.setTimeout(() => banner.current?.focus(), 0);
  };
  useEffect(() => {
    if (!view) return;
    // On arrival, open the room the session is in; afterwards, follow phase changes.
    if (lastSuggested.current === null) setRoom(suggested);
    else if (lastSuggested.current !== suggested) show(suggested);
    lastSuggested.current = suggested;
  }, [suggested, view]);
  useEffect(() => {
    if (state.status === 'live') connection.focus(room);
  }, [room, connection, state.status]);
  useEffect(() => {
    if (state.fresh.length > 0) store.takeFresh();
  }, [state.fresh, store]);
  const caughtUpOnce = useRef(false);
  useEffect(() => {
    if (!state.caughtUp || caughtUpOnce.current) return;
    caughtUpOnce.current = true; // what came before this visit is history, not unread
    setSeen(Object.fromEntries(Object.entries(state.streams).map(([id, st]) => [id, st.position])));
  }, [state.caughtUp, state.streams]);
  const position = state.streams[room]?.position ?? 0;
  useEffect(() => setSeen((s) => (s[room] === position ? s : { ...s, [room]: position })), [room, position]);

  if (!view)
    return (
      <Shell account={props.account} here="cases">
        {/* Ended: the notice alone says so (the banner would repeat it). */}
        {state.status === 'ended' ? <Notice kind="error">{t('console.noAccess')}</Notice> : <><ConnectionBanner status={state.status} /><Loading /></>}
      </Shell>
    );

  const rooms = consoleRooms(view);
  const info = roomInfo(view, room);
  const phase = effectivePhase(view, sNow);
  const requests = caucusRequests(state);
  // Who is connected: someone coming back on a new link changes no event the console sees,
  // but their link's state changed, so the people panel reads the invitations again.
  const online = [...new Set(Object.values(state.presence).flat())].sort().join(',');
  const refreshKey = `${view.session.phase}|${view.session.mediatorRoom ?? ''}|${view.session.since}|${view.participants.filter((p) => p.accepted).length}|${state.streams.mediators?.position ?? 0}`;
  const typing = isTyping(state, room, now).map((id) => nameOf(view, id));
  const send = (body: string, label: Label | null) => postMessage(live, caseId, room, body, label, null);
  const canLabel = (m: Message) => view.participants.find((p) => p.id === m.authorId)?.role === 'mediator';
  const relabel = (m: Message, next: Label) =>
    void labelAct.run(async () => void (await endpoints.command(caseId, `/messages/${encodeURIComponent(m.id)}/label`, { label: next })));
  const mediatorHere = (sideId: string | null) => phase === 'separate' && sideId !== null && view.session.mediatorRoom === sideId;
  // A closed case is its content-free record: who wrote where and when, nothing of what (C11).
  const closed = view.status === 'closed';
  // Only the lead mediator closes a case (in cases opened before the lead was recorded, any mediator).
  const lead = view.participants.find((p) => p.lead && !p.removed);
  const mayClose = !closed && (!lead || lead.id === view.me.participantId);

  return (
    <Shell
      account={props.account}
      here="cases"
      wide
      context={
        <span className="case-name">
          <Link to="/cases">{t('console.allCases')}</Link> / {view.title}
        </span>
      }
    >
      <ConnectionBanner status={state.status} />
      {closed ? <Notice kind="info">{t('console.closed')}</Notice> : null}
      <div className="console">
        <nav className="rooms" aria-label={t('console.rooms')}>
          <h2 className="rooms-title">{t('console.rooms')}</h2>
          <ul className="plain-list">
            {rooms.map((r) => {
              const unread = r.id === room ? 0 : unreadCount(state, r.id, seen[r.id] ?? 0, view.me.participantId);
              const here = !closed && (r.kind === 'caucus' ? mediatorHere(r.sideId) : r.kind === 'joint' && (phase === 'joint' || phase === 'none'));
              const online = r.kind === 'caucus' ? view.participants.filter((p) => p.sideId === r.sideId && state.presence.joint?.includes(p.id)).length : null;
              return (
                <li key={r.id}>
                  <button type="button" className={`room-btn room-${r.kind}`} aria-current={r.id === room ? 'true' : undefined} onClick={() => show(r.id)}>
                    <span className="room-btn-name">{r.name}</span>
                    <span className="room-btn-meta">
                      {here ? <span className="here">{t('console.youAreHere')}</span> : null}
                      {online !== null ? <span className="muted small">{t('console.online', { count: online })}</span> : null}
                      {unread > 0 ? (
                        <span className="count" aria-label={t('room.unread', { count: unread })}>
                          {unread}
                        </span>
                      ) : null}
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
          <button type="button" className="btn btn-secondary notes-btn" aria-expanded={notesOpen} onClick={() => setNotesOpen((o) => !o)}>
            {t('notes.open')}
          </button>
        </nav>

        <section className={`stage stage-${info.kind}`} aria-labelledby="audience-banner">
          <div className={`audience audience-${info.kind}`}>
            <h1 id="audience-banner" ref={banner} tabIndex={-1} className="audience-room">
              {info.name}
            </h1>
            <p className="audience-who" data-testid="audience">
              {closed ? t('console.closedRoom') : audienceSentence(view, room)}
            </p>
          </div>
          <Conversation
            view={view}
            messages={messagesOf(state, room)}
            label={t('room.conversation', { room: info.name })}
            empty={t('room.emptyMediator')}
            canLabel={canLabel}
            onLabel={relabel}
          />
          <p className="typing" aria-live="polite">
            {typing.length > 0 ? tn('room.typing', typing.length, { names: new Intl.ListFormat(locale).format(typing) }) : ''}
          </p>
          {labelAct.error ? <Notice kind="error">{labelAct.error}</Notice> : null}
          {closed ? null : <Composer
            key={room}
            audience={audienceSentence(view, room)}
            roomName={info.name}
            label={
              info.kind === 'caucus'
                ? { initial: view.regime === 'opt-in' ? 'confidential' : 'shareable', explain: view.regime === 'opt-in' ? t('label.explainMediatorOptIn') : t('label.explainMediatorOptOut') }
                : null
            }
            onSend={send}
            onTyping={() => connection.typing(room)}
          />}
        </section>

        <div className="side-panels">
          {closed ? null : <SessionControls caseId={caseId} view={view} serverNow={sNow} />}
          {closed ? null : <RequestQueue caseId={caseId} view={view} requests={requests} />}
          <TimeBalanceMeter caseId={caseId} view={view} refreshKey={refreshKey} />
          {closed ? null : <PeoplePanel caseId={caseId} view={view} state={state} refreshKey={`${refreshKey}|${online}`} />}
          {mayClose ? <CloseCasePanel caseId={caseId} title={view.title} /> : null}
        </div>
        {notesOpen ? <NotesDrawer caseId={caseId} view={view} state={state} onClose={() => setNotesOpen(false)} /> : null}
      </div>
    </Shell>
  );
}
