import type { CaseView } from '@caucus/protocol';
import { endpoints } from '../api/endpoints.ts';
import { useRef, useState } from 'react';
import { Button, Field, Notice } from '../components/ui.tsx';
import { t } from '../i18n/index.ts';
import { formatTime } from '../lib/format.ts';
import { useAction } from '../lib/hooks.ts';
import { nameOf, sideName, type CaucusRequestItem } from '../live/selectors.ts';

/** The queue of caucus requests: accept (go to that side), later or decline with an optional reply. */
export function RequestQueue(props: { caseId: string; view: CaseView; requests: readonly CaucusRequestItem[] }) {
  const act = useAction();
  // The optional reply goes with "Later" and "Decline": the side reads it in its own room.
  const [replies, setReplies] = useState<Record<string, string>>({});
  const waiting = props.requests.filter((r) => r.status === 'open' || r.status === 'deferred');
  const heading = useRef<HTMLHeadingElement>(null);
  const answer = (r: CaucusRequestItem, a: 'accepted' | 'declined' | 'deferred') =>
    void act.run(async () => {
      await endpoints.command(props.caseId, `/caucus-requests/${encodeURIComponent(r.requestId)}/answer`, { answer: a, reply: (replies[r.requestId] ?? '').trim() || null });
      // The answered request's buttons go away: focus returns to the queue's heading (Accept moves to the room instead).
      if (a !== 'accepted') heading.current?.focus();
    });
  return (
    <section className="panel" aria-labelledby="requests-h">
      <h2 id="requests-h" ref={heading} tabIndex={-1}>
        {t('requests.title')} {waiting.length > 0 ? <span className="count">{waiting.length}</span> : null}
      </h2>
      {waiting.length === 0 ? <p className="muted small">{t('requests.none')}</p> : null}
      <ul className="plain-list">
        {waiting.map((r) => (
          <li key={r.requestId} className="request">
            <p>
              <strong>{t('requests.who', { name: nameOf(props.view, r.requesterId), side: sideName(props.view, r.sideId) })}</strong>{' '}
              <span className="muted small">
                {formatTime(r.at)}
                {r.status === 'deferred' ? ` · ${t('requests.deferred')}` : ''}
              </span>
            </p>
            {r.reason ? <p className="request-reason">{r.reason}</p> : null}
            <Field
              label={t('requests.reply')}
              hint={t('requests.replyHint')}
              value={replies[r.requestId] ?? ''}
              onChange={(v) => setReplies((old) => ({ ...old, [r.requestId]: v }))}
              maxLength={1000}
            />
            <div className="actions">
              <Button small variant="primary" onClick={() => answer(r, 'accepted')} busy={act.busy} ariaLabel={t('requests.acceptFor', { side: sideName(props.view, r.sideId) })}>
                {t('requests.accept')}
              </Button>
              {r.status !== 'deferred' ? (
                <Button small onClick={() => answer(r, 'deferred')} busy={act.busy}>
                  {t('requests.later')}
                </Button>
              ) : null}
              <Button small variant="quiet" onClick={() => answer(r, 'declined')} busy={act.busy}>
                {t('requests.decline')}
              </Button>
            </div>
          </li>
        ))}
      </ul>
      {act.error ? <Notice kind="error">{act.error}</Notice> : null}
    </section>
  );
}
