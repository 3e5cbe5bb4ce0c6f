import { useEffect, type ReactNode } from 'react';
import { endpoints, type Me } from '../api/endpoints.ts';
import { Loading, Notice } from '../components/ui.tsx';
import { Shell } from '../components/shell.tsx';
import { t } from '../i18n/index.ts';
import { useLoad } from '../lib/hooks.ts';
import { navigate } from '../lib/router.ts';

export type AccountInfo = NonNullable<Me['account']>;

/** Renders its children for a signed-in account of the given role; otherwise sends to sign-in. */
export function RequireAccount(props: { role: 'admin' | 'mediator'; children: (a: AccountInfo) => ReactNode }) {
  const [me] = useLoad(() => endpoints.me().catch(() => null), []);
  const account = me.status === 'ok' ? (me.data?.account ?? null) : null;
  useEffect(() => {
    if (me.status === 'ok' && !account) navigate('/login', true);
    else if (account && account.role !== props.role) navigate(account.role === 'admin' ? '/admin' : '/cases', true);
  }, [me.status, account, props.role]);
  if (me.status === 'loading' || (me.status === 'ok' && (!account || account.role !== props.role)))
    return (
      <Shell>
        <Loading />
      </Shell>
    );
  if (me.status === 'error' || !account)
    return (
      <Shell>
        <Notice kind="error">{t('error.network')}</Notice>
      </Shell>
    );
  return <>{props.children(account)}</>;
}
