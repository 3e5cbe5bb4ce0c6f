import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { t } from '../i18n/index.ts';

/** Small building blocks with the app's look; every control is labelled. */
export function Button(props: {
  children: ReactNode;
  onClick?: () => void;
  type?: 'button' | 'submit';
  variant?: 'primary' | 'secondary' | 'quiet' | 'danger';
  disabled?: boolean;
  busy?: boolean;
  small?: boolean;
  describedBy?: string;
  ariaLabel?: string;
}) {
  const { variant = 'secondary', type = 'button' } = props;
  return (
    <button
      type={type}
      className={`btn btn-${variant}${props.small ? ' btn-small' : ''}`}
      onClick={props.onClick}
      disabled={props.disabled || props.busy}
      aria-busy={props.busy || undefined}
      aria-describedby={props.describedBy}
      aria-label={props.ariaLabel}
    >
      {props.children}
    </button>
  );
}

export function Field(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  type?: 'text' | 'email' | 'password' | 'search';
  hint?: string;
  error?: string | null;
  required?: boolean;
  autoComplete?: string;
  multiline?: number;
  maxLength?: number;
  autoFocus?: boolean;
}) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errId = props.error ? `${id}-err` : undefined;
  const describedBy = [hintId, errId].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    value: props.value,
    required: props.required,
    maxLength: props.maxLength,
    autoFocus: props.autoFocus,
    'aria-describedby': describedBy,
    'aria-invalid': props.error ? true : undefined,
  };
  return (
    <div className="field">
      <label htmlFor={id}>
        {props.label}
        {props.required ? null : <span className="optional"> {t('common.optional')}</span>}
      </label>
      {props.hint ? (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
      {props.multiline ? (
        <textarea {...common} rows={props.multiline} onChange={(e) => props.onChange(e.target.value)} />
      ) : (
        <input {...common} type={props.type ?? 'text'} autoComplete={props.autoComplete} onChange={(e) => props.onChange(e.target.value)} />
      )}
      {props.error ? (
        <p className="field-error" id={errId}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

export function Notice(props: { kind: 'error' | 'info' | 'success' | 'warning'; children: ReactNode; title?: string }) {
  return (
    <div className={`notice notice-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.title ? <p className="notice-title">{props.title}</p> : null}
      <div>{props.children}</div>
    </div>
  );
}

export function Loading() {
  return (
    <p className="loading" role="status">
      {t('common.loading')}
    </p>
  );
}

export function CopyButton(props: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const h = window.setTimeout(() => setCopied(false), 2500);
    return () => window.clearTimeout(h);
  }, [copied]);
  const copy = () => {
    const done = () => setCopied(true);
    if (navigator.clipboard) navigator.clipboard.writeText(props.text).then(done, done);
    else done();
  };
  return (
    <button type="button" className="btn btn-secondary btn-small" onClick={copy}>
      <span aria-live="polite">{copied ? t('common.copied') : t('common.copy')}</span>
      <span className="sr-only"> {props.label}</span>
    </button>
  );
}

/** A page's main heading: focused when the screen appears, so screen readers and keyboards start there. */
export function PageTitle(props: { children: ReactNode; sub?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div className="page-title">
      <h1 ref={ref} tabIndex={-1}>
        {props.children}
      </h1>
      {props.sub ? <p className="page-sub">{props.sub}</p> : null}
    </div>
  );
}

export function Badge(props: { tone: 'neutral' | 'ok' | 'warn' | 'danger' | 'info' | 'private'; children: ReactNode }) {
  return <span className={`badge badge-${props.tone}`}>{props.children}</span>;
}
