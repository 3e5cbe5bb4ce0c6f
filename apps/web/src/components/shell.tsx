import type { ReactNode } from 'react';
import { endpoints, type Me } from '../api/endpoints.ts';
import { t } from '../i18n/index.ts';
import { navigate } from '../lib/router.ts';

type AccountInfo = NonNullable<Me['account']>;

function Link(props: { to: string; children: ReactNode; current?: boolean }) {
  return (
    <a
      href={props.to}
      aria-current={props.current ? 'page' : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}
export { Link };

/** The frame around every signed-in screen: brand, where you are, who you are. */
export function Shell(props: { account?: AccountInfo | null; children: ReactNode; wide?: boolean; here?: string; context?: ReactNode }) {
  const a = props.account ?? null;
  const signOut = () => {
    endpoints.logout().then(
      () => navigate('/login'),
      () => navigate('/login'),
    );
  };
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t('common.skipToContent')}
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <span className="brand" aria-label={t('app.name')}>
            <span className="brand-mark" aria-hidden="true" />
            {t('app.name')}
          </span>
          {props.context ? <div className="topbar-context">{props.context}</div> : null}
          {a ? (
            <nav aria-label={t('nav.label')} className="topnav">
              {a.role === 'mediator' ? (
                <Link to="/cases" current={props.here === 'cases'}>
                  {t('nav.cases')}
                </Link>
              ) : (
                <Link to="/admin" current={props.here === 'admin'}>
                  {t('nav.admin')}
                </Link>
              )}
              <span className="whoami">{a.displayName}</span>
              <button type="button" className="btn btn-quiet btn-small" onClick={signOut}>
                {t('nav.signOut')}
              </button>
            </nav>
          ) : null}
        </div>
      </header>
      <main id="main" className={props.wide ? 'main main-wide' : 'main'}>
        {props.children}
      </main>
    </div>
  );
}
