import { useState, type FormEvent } from 'react';
import { endpoints } from '../api/endpoints.ts';
import { Shell } from '../components/shell.tsx';
import { Badge, Button, CopyButton, Field, Loading, Notice, PageTitle } from '../components/ui.tsx';
import { t } from '../i18n/index.ts';
import { formatDate } from '../lib/format.ts';
import { useAction, useLoad } from '../lib/hooks.ts';
import { useDocumentTitle } from '../lib/router.ts';
import type { AccountInfo } from './require-account.tsx';

/** Administrators: mediator accounts (create, disable, enable) and the list of cases, never their content. */
export function AdminScreen(props: { account: AccountInfo }) {
  useDocumentTitle(t('title.admin'));
  const [accounts, reloadAccounts] = useLoad(() => endpoints.accounts(), []);
  const [cases] = useLoad(() => endpoints.adminCases(), []);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [welcome, setWelcome] = useState<{ name: string; url: string } | null>(null);
  const create = useAction();
  const toggle = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run(async () => {
      const r = await endpoints.createMediator(email, name);
      setWelcome({ name: r.account.displayName, url: r.welcomeUrl });
      setEmail('');
      setName('');
      reloadAccounts();
    });
  };
  return (
    <Shell account={props.account} here="admin">
      <PageTitle sub={t('admin.sub')}>{t('admin.title')}</PageTitle>
      <div className="admin-grid">
        <section className="card" aria-labelledby="admin-new">
          <h2 id="admin-new">{t('admin.newMediator')}</h2>
          <form onSubmit={submit} noValidate>
            <Field label={t('field.name')} value={name} onChange={setName} required autoComplete="off" />
            <Field label={t('field.email')} type="email" value={email} onChange={setEmail} required autoComplete="off" />
            {create.error ? <Notice kind="error">{create.error}</Notice> : null}
            <div className="actions">
              <Button type="submit" variant="primary" busy={create.busy}>
                {t('admin.create')}
              </Button>
            </div>
          </form>
          {welcome ? (
            <Notice kind="success" title={t('admin.created', { name: welcome.name })}>
              <p>{t('admin.welcomeExplain')}</p>
              <p className="link-text" data-testid="welcome-link">
                {welcome.url}
              </p>
              <CopyButton text={welcome.url} label={t('admin.copyWelcome')} />
            </Notice>
          ) : null}
        </section>
        <section className="card" aria-labelledby="admin-accounts">
          <h2 id="admin-accounts">{t('admin.accounts')}</h2>
          {accounts.status === 'loading' ? <Loading /> : null}
          {accounts.status === 'error' ? <Notice kind="error">{accounts.message}</Notice> : null}
          {accounts.status === 'ok' ? (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('field.name')}</th>
                  <th scope="col">{t('field.email')}</th>
                  <th scope="col">{t('admin.role')}</th>
                  <th scope="col">{t('admin.state')}</th>
                  <th scope="col">
                    <span className="sr-only">{t('admin.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {accounts.data.map((a) => (
                  <tr key={a.id}>
                    <td>{a.displayName}</td>
                    <td className="break">{a.email}</td>
                    <td>{a.role === 'admin' ? t('role.admin') : t('role.mediator')}</td>
                    <td>{a.disabled ? <Badge tone="danger">{t('admin.disabled')}</Badge> : <Badge tone="ok">{t('admin.active')}</Badge>}</td>
                    <td>
                      {a.id !== props.account.id ? (
                        <Button
                          small
                          variant="quiet"
                          busy={toggle.busy}
                          ariaLabel={a.disabled ? t('admin.enableFor', { name: a.displayName }) : t('admin.disableFor', { name: a.displayName })}
                          onClick={() => void toggle.run(async () => void (await endpoints.setDisabled(a.id, !a.disabled), reloadAccounts()))}
                        >
                          {a.disabled ? t('admin.enable') : t('admin.disable')}
                        </Button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {toggle.error ? <Notice kind="error">{toggle.error}</Notice> : null}
        </section>
        <section className="card admin-cases" aria-labelledby="admin-cases">
          <h2 id="admin-cases">{t('admin.cases')}</h2>
          <p className="muted small">{t('admin.casesExplain')}</p>
          {cases.status === 'ok' && cases.data.length === 0 ? <p className="empty">{t('admin.noCases')}</p> : null}
          {cases.status === 'ok' && cases.data.length > 0 ? (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('case.title')}</th>
                  <th scope="col">{t('case.reference')}</th>
                  <th scope="col">{t('admin.state')}</th>
                  <th scope="col">{t('admin.openedOn')}</th>
                  <th scope="col">{t('admin.mediators')}</th>
                </tr>
              </thead>
              <tbody>
                {cases.data.map((c) => (
                  <tr key={c.id}>
                    <td>{c.title}</td>
                    <td>{c.reference}</td>
                    <td>{c.status === 'open' ? t('cases.statusOpen') : t('cases.statusClosed')}</td>
                    <td>{formatDate(c.createdAt)}</td>
                    <td>{c.mediators}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </section>
      </div>
    </Shell>
  );
}
