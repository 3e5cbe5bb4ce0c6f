import { locale, t } from '../i18n/index.ts';

/** Dates and times in the user's locale and time zone, through Intl only. */
const time = new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' });
const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
const minutes = new Intl.NumberFormat(locale, { style: 'unit', unit: 'minute', unitDisplay: 'short', maximumFractionDigits: 0 });
const hours = new Intl.NumberFormat(locale, { style: 'unit', unit: 'hour', unitDisplay: 'short', maximumFractionDigits: 1 });
const seconds = new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', unitDisplay: 'short', maximumFractionDigits: 0 });

export const formatTime = (ms: number): string => time.format(new Date(ms));
export const formatDateTime = (ms: number): string => dateTime.format(new Date(ms));
export const formatDate = (ms: number): string => date.format(new Date(ms));

/** "12 min", "1.5 hr": whole minutes under two hours, hours above; compact (tables): seconds under a minute. */
export function formatDuration(ms: number, compact = false): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  if (m < 1 && !compact) return t('time.underAMinute');
  if (m < 1) return seconds.format(Math.floor(Math.max(0, ms) / 1000));
  return m < 120 ? minutes.format(m) : hours.format(m / 60);
}

/** A countdown as m:ss (digits through Intl so they follow the locale's numbering). */
const two = new Intl.NumberFormat(locale, { minimumIntegerDigits: 2, useGrouping: false });
const one = new Intl.NumberFormat(locale, { useGrouping: false });
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${one.format(Math.floor(s / 60))}:${two.format(s % 60)}`;
}
