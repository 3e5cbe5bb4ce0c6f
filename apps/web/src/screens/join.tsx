import { useEffect, useState } from 'react';
import { describeError } from '../api/client.ts';
import { endpoints, type Agreement } from '../api/endpoints.ts';
import { Shell } from '../components/shell.tsx';
import { Button, Loading, Notice, PageTitle } from '../components/ui.tsx';
import { listOf, t, tn } from '../i18n/index.ts';
import { useAction } from '../lib/hooks.ts';
import { navigate, takeFragmentToken, useDocumentTitle } from '../lib/router.ts';
import { rememberSession, roomPath } from '../lib/sessions.ts';

/** Whose agreement this is: a party's session (participantId), or the signed-in mediator's (null). */
type Joined = { caseId: string; participantId: string | null };
const PENDING = 'caucus.join';

// A personal link works once: redeem each token at most once per page, even if React
// runs the effect twice.
const redeeming = new Map<string, Promise<Joined>>();

async function joinFromLink(): Promise<Joined> {
  const token = takeFragmentToken();
  if (token) {
    let p = redeeming.get(token);
    if (!p) redeeming.set(token, (p = endpoints.redeem(token)));
    const joined = await p;
    sessionStorage.setItem(PENDING, JSON.stringify(joined));
    return joined;
  }
  // Sent here from a case not yet accepted (a party back from the start page, a co-mediator):
  // the session they hold already says who they are.
  const q = new URLSearchParams(location.search);
  const caseId = q.get('case');
  if (caseId) return { caseId, participantId: q.get('as') };
  const raw = sessionStorage.getItem(PENDING);
  if (raw) return JSON.parse(raw) as Joined;
  throw new Error('no link');
}

/** Where an accepted case opens: a party's room, or the mediator's console. */
function casePath(j: Joined): string {
  return j.participantId ? roomPath(j.caseId, j.participantId) : `/cases/${encodeURIComponent(j.caseId)}`;
}

type State = { s: 'loading' } | { s: 'error'; message: string } | { s: 'ready'; joined: Joined; agreement: Agreement };

/** The join page: who invites you, what mediation is, the agreement in plain words, accept. */
export function JoinScreen() {
  useDocumentTitle(t('title.join'));
  const [state, setState] = useState<State>({ s: 'loading' });
  const [agreed, setAgreed] = useState(false);
  const act = useAction();

  useEffect(() => {
    let live = true;
    joinFromLink()
      .then(async (joined) => {
        const agreement = await endpoints.agreement(joined.caseId, joined.participantId);
        if (!live) return;
        if (joined.participantId) rememberSession({ caseId: joined.caseId, participantId: joined.participantId, title: agreement.caseTitle, name: agreement.you.displayName });
        if (agreement.accepted) return navigate(casePath(joined), true);
        setState({ s: 'ready', joined, agreement });
      })
      .catch((err: unknown) => live && setState({ s: 'error', message: err instanceof Error && err.message === 'no link' ? t('join.noLink') : describeError(err) }));
    return () => {
      live = false;
    };
  }, []);

  if (state.s === 'loading') return <Shell><Loading /></Shell>;
  if (state.s === 'error')
    return (
      <Shell>
        <div className="auth-card">
          <PageTitle>{t('join.problemTitle')}</PageTitle>
          <Notice kind="error">{state.message}</Notice>
        </div>
      </Shell>
    );

  const { agreement: a, joined } = state;
  const accept = () =>
    act.run(async () => {
      await endpoints.accept(joined.caseId, joined.participantId, a.hash);
      sessionStorage.removeItem(PENDING);
      navigate(casePath(joined), true);
    });
  const optIn = a.regime === 'opt-in';
  const mediator = a.you.role === 'mediator';
  return (
    <Shell>
      <article className="join">
        <PageTitle sub={a.caseTitle}>{t('join.title', { name: a.you.displayName })}</PageTitle>
        <p className="lead">
          {mediator ? t('join.coMediator') : tn('join.invitedBy', a.mediators.length, { mediators: listOf(a.mediators) })}
          {a.you.sideName ? ` ${t('join.yourSide', { side: a.you.sideName })}` : ''}
        </p>
        {mediator ? null : (
          <>
            <section className="card" aria-labelledby="join-what">
              <h2 id="join-what">{t('join.whatTitle')}</h2>
              <p>{t('join.what1')}</p>
              <p>{t('join.what2')}</p>
            </section>
            <section className="card card-private" aria-labelledby="join-private">
              <h2 id="join-private">{t('join.privateTitle')}</h2>
              <p className="promise">{optIn ? t('regime.optIn.promise') : t('regime.optOut.promise')}</p>
              <p className="muted small">{optIn ? t('regime.optIn.basis') : t('regime.optOut.basis')}</p>
            </section>
          </>
        )}
        <section className="card" aria-labelledby="join-agreement">
          <h2 id="join-agreement">{t('join.agreementTitle')}</h2>
          <div className="agreement-text" tabIndex={0} role="region" aria-label={t('join.agreementText')}>
            {a.text}
          </div>
          <label className="check">
            <input type="checkbox" checked={agreed} onChange={(e) => setAgreed(e.target.checked)} />
            <span>{t('join.iAgree')}</span>
          </label>
          {act.error ? <Notice kind="error">{act.error}</Notice> : null}
          <div className="actions">
            <Button variant="primary" onClick={() => void accept()} disabled={!agreed} busy={act.busy}>
              {t('join.accept')}
            </Button>
          </div>
        </section>
      </article>
    </Shell>
  );
}
