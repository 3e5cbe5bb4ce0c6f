import { useEffect } from 'react';
import { endpoints } from '../api/endpoints.ts';
import { Link, Shell } from '../components/shell.tsx';
import { Loading, PageTitle } from '../components/ui.tsx';
import { t } from '../i18n/index.ts';
import { useLoad } from '../lib/hooks.ts';
import { navigate, useDocumentTitle } from '../lib/router.ts';
import { knownSessions, roomPath } from '../lib/sessions.ts';

/** The start page: signed-in accounts go to their work; parties find their mediations again. */
export function HomeScreen() {
  useDocumentTitle(t('title.home'));
  const [me] = useLoad(() => endpoints.me().catch(() => null), []);
  const [setup] = useLoad(() => endpoints.setupNeeded().catch(() => ({ needed: false })), []);
  const account = me.status === 'ok' ? me.data?.account : null;
  useEffect(() => {
    if (account) navigate(account.role === 'admin' ? '/admin' : '/cases', true);
  }, [account]);
  if (me.status === 'loading' || account) return <Shell><Loading /></Shell>;
  const sessions = knownSessions();
  return (
    <Shell>
      <div className="auth-card">
        <PageTitle sub={t('home.sub')}>{t('home.title')}</PageTitle>
        {setup.status === 'ok' && setup.data.needed ? <p className="notice notice-info">{t('home.setupNeeded')}</p> : null}
        {sessions.length > 0 ? (
          <section aria-labelledby="home-mine">
            <h2 id="home-mine">{t('home.yourMediations')}</h2>
            <ul className="plain-list">
              {sessions.map((s) => (
                <li key={s.participantId} className="list-row">
                  <Link to={roomPath(s.caseId, s.participantId)}>{s.title}</Link>
                  <span className="muted small">{t('home.as', { name: s.name })}</span>
                </li>
              ))}
            </ul>
          </section>
        ) : (
          <p>{t('home.noLink')}</p>
        )}
        <p>
          <Link to="/login">{t('home.mediatorSignIn')}</Link>
        </p>
      </div>
    </Shell>
  );
}
