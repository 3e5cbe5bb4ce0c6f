import type { CaseView } from '@caucus/protocol';
import { useEffect, useRef } from 'react';
import { t } from '../i18n/index.ts';
import { formatTime } from '../lib/format.ts';
import type { Label, Message } from '../live/selectors.ts';
import { Badge } from './ui.tsx';

/** A room's messages, oldest first; new ones are announced politely (role="log"). */
export function Conversation(props: {
  view: CaseView;
  messages: readonly Message[];
  label: string;
  empty: string;
  /** Whether the viewer may change this item's label (author's side only). */
  canLabel?: (m: Message) => boolean;
  onLabel?: (m: Message, next: Label) => void;
}) {
  const { view, messages } = props;
  const box = useRef<HTMLDivElement>(null);
  const count = messages.length;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // Follow the conversation unless the reader has scrolled up to read something older.
    const nearBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 160;
    if (nearBottom || count <= 1) el.scrollTop = el.scrollHeight;
  }, [count]);
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, []);
  const byId = new Map(view.participants.map((p) => [p.id, p]));
  return (
    <div className="messages" role="log" aria-label={props.label} ref={box} tabIndex={0}>
      {messages.length === 0 ? <p className="messages-empty">{props.empty}</p> : null}
      <ol className="msg-list">
      {messages.map((m) => {
        const author = byId.get(m.authorId);
        const mine = m.authorId === view.me.participantId;
        const isMediator = author?.role === 'mediator';
        const side = view.sides.find((s) => s.id === author?.sideId)?.name;
        return (
          <li key={m.id} className={`msg${mine ? ' msg-mine' : ''}${isMediator ? ' msg-mediator' : ''}`} data-message-id={m.id}>
            <div className="msg-head">
              <span className="msg-author">{mine ? t('msg.you') : (author?.displayName ?? t('msg.unknown'))}</span>
              <span className="msg-meta">{isMediator ? t('role.mediator') : side}</span>
              <time className="msg-time" dateTime={new Date(m.at).toISOString()}>
                {formatTime(m.at)}
              </time>
            </div>
            {/* A closed case keeps who wrote where and when; what was written was destroyed (C11). */}
            <p className="msg-body">{m.body === '' && props.view.status === 'closed' ? <em className="muted">{t('room.contentDestroyed')}</em> : m.body}</p>
            {m.label ? (
              <div className="msg-label">
                <Badge tone={m.label === 'confidential' ? 'private' : 'info'}>{m.label === 'confidential' ? t('label.confidential') : t('label.shareable')}</Badge>
                {props.canLabel?.(m) && props.onLabel ? (
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => props.onLabel?.(m, m.label === 'confidential' ? 'shareable' : 'confidential')}
                  >
                    {m.label === 'confidential' ? t('label.makeShareable') : t('label.makeConfidential')}
                  </button>
                ) : null}
              </div>
            ) : null}
          </li>
        );
      })}
      </ol>
    </div>
  );
}
