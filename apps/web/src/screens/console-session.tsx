import type { CaseView } from '@caucus/protocol';
import { useId, useRef, useState } from 'react';
import { endpoints } from '../api/endpoints.ts';
import { Button, Notice } from '../components/ui.tsx';
import { t } from '../i18n/index.ts';
import { formatCountdown, formatDuration, formatTime } from '../lib/format.ts';
import { useAction } from '../lib/hooks.ts';
import { effectivePhase, sideName } from '../live/selectors.ts';

const COUNTDOWNS = [0, 30, 60, 120, 300] as const;

/** Phase controls: start, separate sessions (first side, purpose), go to a room, reconvene, pause, end. */
export function SessionControls(props: { caseId: string; view: CaseView; serverNow: number }) {
  const { caseId, view, serverNow } = props;
  const id = useId();
  const act = useAction();
  const phase = effectivePhase(view, serverNow);
  const [firstSide, setFirstSide] = useState(view.sides[0]?.id ?? '');
  const [purpose, setPurpose] = useState('');
  const [countdown, setCountdown] = useState<number>(60);
  const [choosing, setChoosing] = useState(false);
  const stack = useRef<HTMLDivElement>(null);
  // Cancel removes the form: focus returns to the button that opened it ("Start separate sessions", first in the stack).
  const cancelChoosing = () => {
    setChoosing(false);
    window.setTimeout(() => stack.current?.querySelector('button')?.focus(), 0);
  };
  const cmd = (path: string, body: unknown = {}) => void act.run(async () => void (await endpoints.command(caseId, path, body)));
  const { mediatorRoom, since, reconveneAt } = view.session;
  const readySides = view.session.ready.map((s) => sideName(view, s));

  const phaseText =
    phase === 'none'
      ? t('phase.none')
      : phase === 'joint'
        ? t('phase.joint', { time: formatTime(since) })
        : phase === 'paused'
          ? t('phase.paused', { time: formatTime(since) })
          : phase === 'reconvening'
            ? t('phase.reconvening', { countdown: formatCountdown((reconveneAt ?? serverNow) - serverNow) })
            : mediatorRoom
              ? t('phase.separateWith', { side: sideName(view, mediatorRoom), time: formatTime(since), duration: formatDuration(serverNow - since) })
              : t('phase.separateNone');

  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('session.title')}</h2>
      <p className="phase-line" data-testid="phase">
        {phaseText}
      </p>
      {readySides.length > 0 ? <p className="ready-line">{t('session.ready', { sides: readySides.join(', ') })}</p> : null}
      <div className="control-stack" ref={stack}>
        {phase === 'none' ? (
          <Button variant="primary" onClick={() => cmd('/session/start')} busy={act.busy}>
            {t('session.start')}
          </Button>
        ) : null}

        {(phase === 'joint' || phase === 'paused' || phase === 'reconvening') && !choosing ? (
          <Button variant="primary" onClick={() => setChoosing(true)}>
            {t('session.separate')}
          </Button>
        ) : null}
        {choosing && phase !== 'separate' && phase !== 'none' ? (
          <fieldset className="subform">
            <legend>{t('session.separateFirst')}</legend>
            {view.sides.map((s) => (
              <label className="check" key={s.id}>
                {/* The button that opened this form is gone: focus moves to the chosen side, the form's first control. */}
                <input type="radio" name={`${id}-side`} value={s.id} checked={firstSide === s.id} onChange={() => setFirstSide(s.id)} autoFocus={firstSide === s.id} />
                <span>{s.name}</span>
              </label>
            ))}
            <label htmlFor={`${id}-purpose`}>
              {t('session.purpose')} <span className="optional">{t('common.optional')}</span>
            </label>
            <input id={`${id}-purpose`} value={purpose} maxLength={500} onChange={(e) => setPurpose(e.target.value)} aria-describedby={`${id}-ph`} />
            <p className="hint" id={`${id}-ph`}>
              {t('session.purposeHint')}
            </p>
            <div className="actions">
              <Button
                variant="primary"
                busy={act.busy}
                onClick={() =>
                  void act.run(async () => {
                    await endpoints.command(caseId, '/session/separate', { sideId: firstSide, purpose: purpose.trim() || null });
                    setChoosing(false);
                    setPurpose('');
                  })
                }
              >
                {t('session.separateGo', { side: sideName(view, firstSide) })}
              </Button>
              <Button variant="quiet" onClick={cancelChoosing}>
                {t('common.cancel')}
              </Button>
            </div>
          </fieldset>
        ) : null}

        {phase === 'separate'
          ? view.sides
              .filter((s) => s.id !== mediatorRoom)
              .map((s) => (
                <Button key={s.id} variant="primary" onClick={() => cmd('/session/move', { sideId: s.id })} busy={act.busy}>
                  {t('session.goTo', { side: s.name })}
                </Button>
              ))
          : null}

        {phase === 'separate' || phase === 'paused' ? (
          <div className="inline-form">
            <label htmlFor={`${id}-cd`}>{t('session.countdown')}</label>
            <select id={`${id}-cd`} value={countdown} onChange={(e) => setCountdown(Number(e.target.value))}>
              {COUNTDOWNS.map((s) => (
                <option key={s} value={s}>
                  {s === 0 ? t('session.countdownNow') : s < 60 ? t('session.countdownSec', { sec: s }) : t('session.countdownMin', { min: s / 60 })}
                </option>
              ))}
            </select>
            <Button onClick={() => cmd('/session/reconvene', { countdownSeconds: countdown })} busy={act.busy}>
              {t('session.reconvene')}
            </Button>
          </div>
        ) : null}
        {phase === 'reconvening' ? (
          <Button variant="primary" onClick={() => cmd('/session/open-joint')} busy={act.busy}>
            {t('session.openJoint')}
          </Button>
        ) : null}
        {phase === 'joint' || phase === 'separate' || phase === 'reconvening' ? (
          <Button variant="quiet" onClick={() => cmd('/session/pause')} busy={act.busy}>
            {t('session.pause')}
          </Button>
        ) : null}
        {phase !== 'none' ? (
          <Button variant="quiet" onClick={() => cmd('/session/end')} busy={act.busy}>
            {t('session.end')}
          </Button>
        ) : null}
      </div>
      {act.error ? <Notice kind="error">{act.error}</Notice> : null}
    </section>
  );
}
