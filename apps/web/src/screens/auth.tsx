import { useState, type FormEvent } from 'react';
import { endpoints, type Me } from '../api/endpoints.ts';
import { Link, Shell } from '../components/shell.tsx';
import { Button, Field, Notice, PageTitle } from '../components/ui.tsx';
import { t } from '../i18n/index.ts';
import { useAction } from '../lib/hooks.ts';
import { navigate, takeFragmentToken, useDocumentTitle } from '../lib/router.ts';

const home = (me: Me) => navigate(me.account?.role === 'admin' ? '/admin' : '/cases', true);
const MIN_PASSWORD = 12;

/** Sign-in for mediators and administrators. */
export function LoginScreen() {
  useDocumentTitle(t('title.login'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const act = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run(async () => home(await endpoints.login(email, password)));
  };
  return (
    <Shell>
      <div className="auth-card">
        <PageTitle sub={t('login.sub')}>{t('login.title')}</PageTitle>
        <form onSubmit={submit} noValidate>
          <Field label={t('field.email')} type="email" value={email} onChange={setEmail} required autoComplete="username" />
          <Field label={t('field.password')} type="password" value={password} onChange={setPassword} required autoComplete="current-password" />
          {act.error ? <Notice kind="error">{act.error}</Notice> : null}
          <div className="actions">
            <Button type="submit" variant="primary" busy={act.busy}>
              {t('login.submit')}
            </Button>
          </div>
        </form>
        <p className="muted small">{t('login.party')}</p>
      </div>
    </Shell>
  );
}

/** First run: the one-time setup link printed by the server creates the first administrator. */
export function SetupScreen() {
  useDocumentTitle(t('title.setup'));
  const [token] = useState(takeFragmentToken);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [tooShort, setTooShort] = useState(false);
  const act = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password.length < MIN_PASSWORD) return setTooShort(true);
    setTooShort(false);
    if (token) void act.run(async () => home(await endpoints.setup({ token, email, displayName: name, password })));
  };
  return (
    <Shell>
      <div className="auth-card">
        <PageTitle sub={t('setup.sub')}>{t('setup.title')}</PageTitle>
        {!token ? (
          <Notice kind="error">{t('setup.noToken')}</Notice>
        ) : (
          <form onSubmit={submit} noValidate>
            <Field label={t('field.name')} value={name} onChange={setName} required autoComplete="name" />
            <Field label={t('field.email')} type="email" value={email} onChange={setEmail} required autoComplete="username" />
            <Field
              label={t('field.newPassword')}
              type="password"
              value={password}
              onChange={setPassword}
              required
              autoComplete="new-password"
              hint={t('field.passwordHint')}
              error={tooShort ? t('field.passwordTooShort') : null}
            />
            {act.error ? <Notice kind="error">{act.error}</Notice> : null}
            <div className="actions">
              <Button type="submit" variant="primary" busy={act.busy}>
                {t('setup.submit')}
              </Button>
            </div>
          </form>
        )}
      </div>
    </Shell>
  );
}

/** A mediator's welcome (or sign-in) link: choose a password and go to the cases. */
export function WelcomeScreen() {
  useDocumentTitle(t('title.welcome'));
  const [token] = useState(takeFragmentToken);
  const [password, setPassword] = useState('');
  const [tooShort, setTooShort] = useState(false);
  const act = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password.length > 0 && password.length < MIN_PASSWORD) return setTooShort(true);
    setTooShort(false);
    if (token) void act.run(async () => home(await endpoints.useLink(token, password || undefined)));
  };
  return (
    <Shell>
      <div className="auth-card">
        <PageTitle sub={t('welcome.sub')}>{t('welcome.title')}</PageTitle>
        {!token ? (
          <Notice kind="error">{t('welcome.noToken')}</Notice>
        ) : (
          <form onSubmit={submit} noValidate>
            <Field
              label={t('field.newPassword')}
              type="password"
              value={password}
              onChange={setPassword}
              autoComplete="new-password"
              hint={t('welcome.passwordHint')}
              error={tooShort ? t('field.passwordTooShort') : null}
            />
            {act.error ? <Notice kind="error">{act.error}</Notice> : null}
            <div className="actions">
              <Button type="submit" variant="primary" busy={act.busy}>
                {t('welcome.submit')}
              </Button>
            </div>
          </form>
        )}
        <p className="muted small">
          <Link to="/login">{t('welcome.toLogin')}</Link>
        </p>
      </div>
    </Shell>
  );
}
