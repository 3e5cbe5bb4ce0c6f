import type { CaseView } from '@caucus/protocol';
import { useEffect, useRef, useState } from 'react';
import { endpoints } from '../api/endpoints.ts';
import { Composer } from '../components/composer.tsx';
import { Conversation } from '../components/conversation.tsx';
import { t } from '../i18n/index.ts';
import type { CaseState } from '../live/case-state.ts';
import { messagesOf } from '../live/selectors.ts';
import { audienceSentence, noteStreams } from './console-rooms.ts';

/** Mediator notes, general and per side: a drawer readable by the case's mediators only (C2). */
export function NotesDrawer(props: { caseId: string; view: CaseView; state: CaseState; onClose: () => void }) {
  const { caseId, view, state } = props;
  const streams = noteStreams(view);
  const [stream, setStream] = useState(streams[0]?.id ?? 'notes:general');
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const current = streams.find((s) => s.id === stream);
  return (
    <aside
      className="drawer"
      aria-labelledby="notes-h"
      onKeyDown={(e) => {
        if (e.key === 'Escape') props.onClose();
      }}
    >
      <div className="drawer-head">
        <h2 id="notes-h" ref={heading} tabIndex={-1}>
          {t('notes.title')}
        </h2>
        <button type="button" className="btn btn-quiet btn-small" onClick={props.onClose}>
          {t('common.close')}
        </button>
      </div>
      <p className="audience audience-mediators">{audienceSentence(view, stream)}</p>
      <nav className="tabs" aria-label={t('notes.choose')}>
        {streams.map((s) => (
          <button key={s.id} type="button" className="tab" aria-current={s.id === stream ? 'true' : undefined} onClick={() => setStream(s.id)}>
            {s.name}
          </button>
        ))}
      </nav>
      <Conversation view={view} messages={messagesOf(state, stream)} label={current?.name ?? ''} empty={t('notes.empty')} />
      <Composer
        key={stream}
        audience={audienceSentence(view, stream)}
        roomName={current?.name ?? ''}
        placeholder={t('notes.placeholder')}
        onSend={async (body) => void (await endpoints.command(caseId, `/rooms/${encodeURIComponent(stream)}/messages`, { body, label: null }))}
      />
    </aside>
  );
}
