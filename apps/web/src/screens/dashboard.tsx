import { useState } from 'react';
import { endpoints } from '../api/endpoints.ts';
import { Link, Shell } from '../components/shell.tsx';
import { Badge, Button, Field, Loading, Notice, PageTitle } from '../components/ui.tsx';
import { t, tn } from '../i18n/index.ts';
import { formatDate } from '../lib/format.ts';
import { useLoad } from '../lib/hooks.ts';
import { navigate, useDocumentTitle } from '../lib/router.ts';
import type { AccountInfo } from './require-account.tsx';

/** The mediator's cases, open and closed, with search. */
export function Dashboard(props: { account: AccountInfo }) {
  useDocumentTitle(t('title.cases'));
  const [cases] = useLoad(() => endpoints.myCases(), []);
  const [query, setQuery] = useState('');
  const [show, setShow] = useState<'open' | 'closed'>('open');
  return (
    <Shell account={props.account} here="cases">
      <div className="page-head">
        <PageTitle sub={t('cases.sub')}>{t('cases.title')}</PageTitle>
        <Button variant="primary" onClick={() => navigate('/cases/new')}>
          {t('cases.new')}
        </Button>
      </div>
      {cases.status === 'loading' ? <Loading /> : null}
      {cases.status === 'error' ? <Notice kind="error">{cases.message}</Notice> : null}
      {cases.status === 'ok' ? (
        <>
          <div className="filters">
            <Field label={t('cases.search')} type="search" value={query} onChange={setQuery} required />
            <fieldset className="segmented">
              <legend className="sr-only">{t('cases.which')}</legend>
              {(['open', 'closed'] as const).map((s) => (
                <label key={s} className={show === s ? 'on' : ''}>
                  <input type="radio" name="case-status" checked={show === s} onChange={() => setShow(s)} />
                  <span>
                    {s === 'open' ? t('cases.open') : t('cases.closed')} ({cases.data.filter((c) => c.status === s).length})
                  </span>
                </label>
              ))}
            </fieldset>
          </div>
          {(() => {
            const q = query.trim().toLowerCase();
            const list = cases.data
              .filter((c) => c.status === show)
              .filter((c) => !q || c.title.toLowerCase().includes(q) || c.reference.toLowerCase().includes(q))
              .sort((a, b) => b.createdAt - a.createdAt);
            if (cases.data.length === 0) return <p className="empty">{t('cases.none')}</p>;
            if (list.length === 0) return <p className="empty">{t('cases.noMatch')}</p>;
            return (
              <>
                <p className="muted small" role="status">
                  {tn('cases.count', list.length)}
                </p>
                <ul className="case-list plain-list">
                  {list.map((c) => (
                    <li key={c.id} className="case-card">
                      <Link to={`/cases/${encodeURIComponent(c.id)}`}>{c.title}</Link>
                      <span className="muted small">
                        {c.reference ? `${c.reference} · ` : ''}
                        {t('cases.opened', { date: formatDate(c.createdAt) })}
                      </span>
                      <Badge tone={c.status === 'open' ? 'ok' : 'neutral'}>{c.status === 'open' ? t('cases.statusOpen') : t('cases.statusClosed')}</Badge>
                    </li>
                  ))}
                </ul>
              </>
            );
          })()}
        </>
      ) : null}
    </Shell>
  );
}
