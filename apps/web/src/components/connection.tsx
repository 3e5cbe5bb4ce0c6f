import { t } from '../i18n/index.ts';
import type { ConnectionStatus } from '../live/case-state.ts';

/** The live connection's state in words; quiet while everything is fine. */
export function ConnectionBanner(props: { status: ConnectionStatus }) {
  const { status } = props;
  const text =
    status === 'reconnecting'
      ? t('live.reconnecting')
      : status === 'connecting'
        ? t('live.connecting')
        : status === 'ended'
          ? t('live.ended')
          : status === 'failed'
            ? t('live.failed')
            : '';
  return (
    <div className={`conn conn-${status}`} role="status" aria-live="polite" data-connection={status}>
      {text ? <span className="conn-text">{text}</span> : <span className="sr-only">{t('live.live')}</span>}
    </div>
  );
}
