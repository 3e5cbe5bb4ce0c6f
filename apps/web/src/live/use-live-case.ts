import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { ApiError } from '../api/client.ts';
import { endpoints } from '../api/endpoints.ts';
import { t } from '../i18n/index.ts';
import { setBaseTitle } from '../lib/alert.ts';
import { dropLinks } from '../lib/links.ts';
import { navigate } from '../lib/router.ts';
import { agreementPath, forgetSession } from '../lib/sessions.ts';
import { clearFresh, emptyState, type CaseState } from './case-state.ts';
import { LiveConnection, type SocketLike } from './live-connection.ts';

/** A tiny external store: the folded case state, observed by React. */
export class CaseStore {
  private state: CaseState = emptyState;
  private readonly listeners = new Set<() => void>();
  get = (): CaseState => this.state;
  set = (next: CaseState): void => {
    if (next === this.state) return;
    this.state = next;
    for (const l of this.listeners) l();
  };
  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  takeFresh(): CaseState['fresh'] {
    const fresh = this.state.fresh;
    if (fresh.length > 0) this.set(clearFresh(this.state));
    return fresh;
  }
}

export interface LiveCase {
  readonly store: CaseStore;
  readonly state: CaseState;
  readonly connection: LiveConnection;
}

function liveUrl(caseId: string, as: string | null): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/v1/cases/${encodeURIComponent(caseId)}/live${as ? `?as=${encodeURIComponent(as)}` : ''}`;
}

const GONE = new Set(['unauthenticated', 'not_found', 'gone', 'forbidden']);

/**
 * A message into a room: over the live socket when it is live (no HTTP request, and the
 * answer once it is stored), else over HTTP. Either way it is stored at most once.
 */
export async function postMessage(live: LiveCase, caseId: string, stream: string, body: string, label: 'confidential' | 'shareable' | null, as: string | null): Promise<void> {
  const viaSocket = live.connection.command({ type: 'post-message', input: { stream, body, label } });
  if (viaSocket) return viaSocket;
  await endpoints.command(caseId, `/rooms/${encodeURIComponent(stream)}/messages`, { body, label }, as);
}

/** Opens the case's one live connection for this tab, and closes it when the screen goes. */
export function useLiveCase(caseId: string, as: string | null): LiveCase {
  const { store, connection } = useMemo(() => {
    const store = new CaseStore();
    const connection = new LiveConnection(liveUrl(caseId, as), store, {
      open: (url) => new WebSocket(url) as unknown as SocketLike,
      setTimer: (fn, ms) => window.setTimeout(fn, ms),
      clearTimer: (h) => window.clearTimeout(h as number),
      now: () => Date.now(),
      random: () => Math.random(),
      newId: () => crypto.randomUUID(),
      stillAllowed: () =>
        endpoints.caseView(caseId, as).then(
          () => true,
          (err: unknown) => {
            if (err instanceof ApiError && GONE.has(err.code)) return false;
            // In the case, but the agreement is not accepted yet (a party who closed the tab
            // before accepting, a co-mediator's first visit): to the agreement, not "ended".
            if (err instanceof ApiError && err.code === 'agreement_required') navigate(agreementPath(caseId, as), true);
            throw err;
          },
        ),
    });
    return { store, connection };
  }, [caseId, as]);
  useEffect(() => {
    connection.start();
    return () => connection.stop();
  }, [connection]);
  const state = useSyncExternalStore(store.subscribe, store.get);
  useEffect(() => {
    if (state.status !== 'ended') return;
    // Access has ended: no trace of the case stays in this browser either: not its way
    // back from the start page, not the personal links this tab issued, not its title.
    if (as) forgetSession(as);
    dropLinks(caseId);
    setBaseTitle(t('title.home'));
  }, [state.status, caseId, as]);
  return { store, state, connection };
}
