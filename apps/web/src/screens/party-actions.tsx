import { useState } from 'react';
import { endpoints } from '../api/endpoints.ts';
import { Button, Field, Notice } from '../components/ui.tsx';
import { t } from '../i18n/index.ts';
import { useAction } from '../lib/hooks.ts';
import type { CaucusRequestItem, Phase } from '../live/selectors.ts';

/** "Ask for a private session" (with an optional reason) and "Ready to return". */
export function PartyActions(props: {
  caseId: string;
  as: string;
  phase: Phase;
  ready: boolean;
  mediatorWithUs: boolean;
  requests: (CaucusRequestItem & { time: string })[];
}) {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const act = useAction();
  const open = props.requests.filter((r) => r.status === 'open' || r.status === 'deferred');
  const last = props.requests.at(-1);
  // During a reconvene countdown everyone is already on the way back: nothing to signal.
  const separate = props.phase === 'separate';

  const ask = () =>
    void act.run(async () => {
      await endpoints.command(props.caseId, '/caucus-requests', { reason: reason.trim() || null }, props.as);
      setAsking(false);
      setReason('');
    });
  const ready = () => void act.run(async () => void (await endpoints.command(props.caseId, '/session/ready', {}, props.as)));

  return (
    <aside className="party-actions" aria-label={t('party.actions')}>
      {separate ? (
        <div className="action-block">
          {props.ready ? (
            <p className="done" role="status">
              {t('party.readySent')}
            </p>
          ) : (
            <>
              <Button variant="secondary" onClick={ready} busy={act.busy}>
                {t('party.ready')}
              </Button>
              <p className="muted small">{t('party.readyExplain')}</p>
            </>
          )}
        </div>
      ) : null}
      {!props.mediatorWithUs ? (
        <div className="action-block">
          {open.length > 0 ? (
            <p className="done" role="status">
              {t('party.requestPending', { time: open[open.length - 1]?.time ?? '' })}
            </p>
          ) : asking ? (
            <div className="ask">
              <Field label={t('party.askReason')} value={reason} onChange={setReason} multiline={2} maxLength={1000} hint={t('party.askReasonHint')} autoFocus />
              <div className="actions">
                <Button variant="primary" onClick={ask} busy={act.busy}>
                  {t('party.askSend')}
                </Button>
                <Button variant="quiet" onClick={() => setAsking(false)}>
                  {t('common.cancel')}
                </Button>
              </div>
            </div>
          ) : (
            <>
              <Button variant="secondary" onClick={() => setAsking(true)}>
                {t('party.ask')}
              </Button>
              <p className="muted small">{t('party.askExplain')}</p>
            </>
          )}
          {last && last.status === 'declined' ? <p className="muted small">{t('party.requestDeclined')}{last.reply ? ` ${t('party.mediatorReplied', { reply: last.reply })}` : ''}</p> : null}
          {last && last.status === 'deferred' ? <p className="muted small">{t('party.requestDeferred')}{last.reply ? ` ${t('party.mediatorReplied', { reply: last.reply })}` : ''}</p> : null}
        </div>
      ) : null}
      {act.error ? <Notice kind="error">{act.error}</Notice> : null}
    </aside>
  );
}
