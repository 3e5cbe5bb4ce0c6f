import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { t } from '../i18n/index.ts';
import { useAction } from '../lib/hooks.ts';
import type { Label } from '../live/selectors.ts';
import { Notice } from './ui.tsx';

/**
 * Writes into exactly one room: the one on screen. The same audience sentence as the
 * banner sits on the send button's description, and in a separate-session room the
 * item's label is chosen here. Keyed by room by its parent, so a draft never travels.
 */
export function Composer(props: {
  audience: string;
  roomName: string;
  closedReason?: string | null;
  label?: { initial: Label; explain: string } | null;
  onSend: (body: string, label: Label | null) => Promise<void>;
  onTyping?: () => void;
  placeholder?: string;
}) {
  const id = useId();
  const [body, setBody] = useState('');
  const [label, setLabel] = useState<Label>(props.label?.initial ?? 'confidential');
  const act = useAction();
  const area = useRef<HTMLTextAreaElement>(null);
  const lastTyping = useRef(0);

  const send = () => {
    const text = body.trim();
    if (!text || act.busy) return;
    void act.run(async () => {
      await props.onSend(text, props.label ? label : null);
      setBody('');
      // A label choice is for one item: the next one starts from the case's default again,
      // so that the safe default never stays switched off by accident.
      setLabel(props.label?.initial ?? 'confidential');
      area.current?.focus();
    });
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send();
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  if (props.closedReason)
    return (
      <div className="composer composer-closed" role="status">
        {props.closedReason}
      </div>
    );
  return (
    <form className="composer" onSubmit={onSubmit} aria-label={t('composer.formLabel', { room: props.roomName })}>
      <p className="composer-audience" id={`${id}-aud`}>
        <span className="sr-only">{t('composer.audiencePrefix')} </span>
        {props.audience}
      </p>
      <label htmlFor={`${id}-body`} className="sr-only">
        {t('composer.label', { room: props.roomName })}
      </label>
      <div className="composer-row">
        <textarea
          id={`${id}-body`}
          ref={area}
          rows={2}
          value={body}
          maxLength={20000}
          placeholder={props.placeholder ?? t('composer.placeholder')}
          aria-describedby={`${id}-aud${props.label ? ` ${id}-lab` : ''}`}
          onChange={(e) => {
            setBody(e.target.value);
            const now = Date.now();
            if (props.onTyping && now - lastTyping.current > 2000) {
              lastTyping.current = now;
              props.onTyping();
            }
          }}
          onKeyDown={onKey}
        />
        <button type="submit" className="btn btn-primary" disabled={act.busy || body.trim() === ''} aria-describedby={`${id}-aud`}>
          {t('composer.send')}
        </button>
      </div>
      {props.label ? (
        <div className="composer-label" id={`${id}-lab`}>
          <label className="check">
            <input type="checkbox" checked={label === 'confidential'} onChange={(e) => setLabel(e.target.checked ? 'confidential' : 'shareable')} />
            <span>{t('label.keepConfidential')}</span>
          </label>
          <span className="muted small">{props.label.explain}</span>
        </div>
      ) : null}
      {act.error ? <Notice kind="error">{act.error}</Notice> : null}
    </form>
  );
}
