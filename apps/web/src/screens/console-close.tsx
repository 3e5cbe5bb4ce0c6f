import { useId, useState } from 'react';
import { endpoints } from '../api/endpoints.ts';
import { Button, Notice } from '../components/ui.tsx';
import { t } from '../i18n/index.ts';
import { useAction } from '../lib/hooks.ts';
import { navigate } from '../lib/router.ts';

/**
 * Closing the case (C11): it cannot be undone and destroys everything written in it, so the
 * mediator reads what goes and what stays and ticks that they understand before the button
 * does anything. Afterwards the case is in the "closed" list of the dashboard.
 */
export function CloseCasePanel(props: { caseId: string; title: string }) {
  const id = useId();
  const act = useAction();
  const [open, setOpen] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const close = () =>
    void act.run(async () => {
      await endpoints.command(props.caseId, '/close', { destroyContent: true });
      navigate('/cases');
    });
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('close.title')}</h2>
      {!open ? (
        <Button variant="quiet" onClick={() => setOpen(true)}>
          {t('close.start')}
        </Button>
      ) : (
        <div className="subform">
          <p>{t('close.destroys', { title: props.title })}</p>
          <p>{t('close.keeps')}</p>
          <label className="check">
            <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} autoFocus />
            <span>{t('close.understand')}</span>
          </label>
          <div className="actions">
            <Button variant="danger" onClick={close} busy={act.busy} disabled={!understood}>
              {t('close.confirm')}
            </Button>
            <Button
              variant="quiet"
              onClick={() => {
                setOpen(false);
                setUnderstood(false);
              }}
            >
              {t('common.cancel')}
            </Button>
          </div>
        </div>
      )}
      {act.error ? <Notice kind="error">{act.error}</Notice> : null}
    </section>
  );
}
