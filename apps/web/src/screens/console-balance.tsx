import type { CaseView } from '@caucus/protocol';
import { useEffect, useState } from 'react';
import { endpoints, type TimeBalance } from '../api/endpoints.ts';
import { t } from '../i18n/index.ts';
import { formatDuration } from '../lib/format.ts';
import { useNow } from '../lib/hooks.ts';

/** Minutes with each side in separate sessions: this session and in total (perceived partiality). */
export function TimeBalanceMeter(props: { caseId: string; view: CaseView; refreshKey: string }) {
  const [fetched, setFetched] = useState<{ tb: TimeBalance; at: number; room: string | null; since: number } | null>(null);
  const now = useNow(1000);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const h = window.setInterval(() => setTick((n) => n + 1), 30_000);
    return () => window.clearInterval(h);
  }, []);
  useEffect(() => {
    let live = true;
    endpoints.timeBalance(props.caseId).then(
      (r) => live && setFetched({ tb: r, at: Date.now(), room: props.view.session.mediatorRoom, since: props.view.session.since }),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [props.caseId, props.refreshKey, tick]);
  const sides = props.view.sides;
  // Between two reads, the visit in progress keeps counting on screen (the server's figure
  // plus the time since it was read), so the meter moves while the mediator is with a side.
  const { phase, mediatorRoom } = props.view.session;
  // Only while the session is where it was when read: after a move, until the next read
  // comes back, the figures stand still rather than give one side's time to the other.
  const same = fetched !== null && fetched.room === mediatorRoom && fetched.since === props.view.session.since;
  const running = phase === 'separate' && mediatorRoom !== null && same ? Math.max(0, now - fetched.at) : 0;
  const shown = (figure: 'thisSession' | 'total', sideId: string): number => (fetched?.tb[figure][sideId] ?? 0) + (sideId === mediatorRoom ? running : 0);
  // Bars relative to the longer side, but never to less than a minute: a few seconds apart is no imbalance.
  const max = Math.max(60_000, ...sides.map((s) => shown('total', s.id)));
  return (
    <section className="panel" aria-labelledby="balance-h">
      <h2 id="balance-h">{t('balance.title')}</h2>
      <table className="balance">
        <thead>
          <tr>
            <th scope="col">{t('balance.side')}</th>
            <th scope="col">{t('balance.thisSession')}</th>
            <th scope="col">{t('balance.total')}</th>
          </tr>
        </thead>
        <tbody>
          {sides.map((s) => {
            const total = shown('total', s.id);
            return (
              <tr key={s.id}>
                <th scope="row">
                  {s.name}
                  <span className="bar" aria-hidden="true">
                    <span style={{ width: `${Math.round((100 * total) / max)}%` }} />
                  </span>
                </th>
                <td>{formatDuration(shown('thisSession', s.id), true)}</td>
                <td>{formatDuration(total, true)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
