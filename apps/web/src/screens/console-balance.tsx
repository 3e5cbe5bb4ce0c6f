import type { CaseView } from '@caucus/protocol';
import { useEffect, useState } from 'react';
import { endpoints, type TimeBalance } from '../api/endpoints.ts';
import { t } from '../i18n/index.ts';
import { formatDuration } from '../lib/format.ts';

/** Minutes with each side in separate sessions: this session and in total (perceived partiality). */
export function TimeBalanceMeter(props: { caseId: string; view: CaseView; refreshKey: string }) {
  const [tb, setTb] = useState<TimeBalance | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const h = window.setInterval(() => setTick((n) => n + 1), 30_000);
    return () => window.clearInterval(h);
  }, []);
  useEffect(() => {
    let live = true;
    endpoints.timeBalance(props.caseId).then(
      (r) => live && setTb(r),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [props.caseId, props.refreshKey, tick]);
  const sides = props.view.sides;
  const max = Math.max(1, ...sides.map((s) => tb?.total[s.id] ?? 0));
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
            const total = tb?.total[s.id] ?? 0;
            return (
              <tr key={s.id}>
                <th scope="row">
                  {s.name}
                  <span className="bar" aria-hidden="true">
                    <span style={{ width: `${Math.round((100 * total) / max)}%` }} />
                  </span>
                </th>
                <td>{formatDuration(tb?.thisSession[s.id] ?? 0, true)}</td>
                <td>{formatDuration(total, true)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
