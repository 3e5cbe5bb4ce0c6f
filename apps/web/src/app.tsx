import { Shell } from './components/shell.tsx';
import { PageTitle } from './components/ui.tsx';
import { t } from './i18n/index.ts';
import { useLocation } from './lib/router.ts';
import { AdminScreen } from './screens/admin.tsx';
import { LoginScreen, SetupScreen, WelcomeScreen } from './screens/auth.tsx';
import { MediatorConsole } from './screens/console.tsx';
import { CreateCaseScreen } from './screens/create-case.tsx';
import { Dashboard } from './screens/dashboard.tsx';
import { HomeScreen } from './screens/home.tsx';
import { JoinScreen } from './screens/join.tsx';
import { PartyRoom } from './screens/party-room.tsx';
import { RequireAccount } from './screens/require-account.tsx';

const ID = /^[A-Za-z0-9_-]{8,64}$/;

/** Screens by path. A case page is the party room when it names a participant (?as=), else the console. */
export function App() {
  const { path, query } = useLocation();
  if (path === '/' || path === '') return <HomeScreen />;
  if (path === '/login') return <LoginScreen />;
  if (path === '/setup') return <SetupScreen />;
  if (path === '/welcome') return <WelcomeScreen />;
  if (path === '/join') return <JoinScreen />;
  if (path === '/admin') return <RequireAccount role="admin">{(a) => <AdminScreen account={a} />}</RequireAccount>;
  if (path === '/cases') return <RequireAccount role="mediator">{(a) => <Dashboard account={a} />}</RequireAccount>;
  if (path === '/cases/new') return <RequireAccount role="mediator">{(a) => <CreateCaseScreen account={a} />}</RequireAccount>;
  const m = /^\/cases\/([^/]+)$/.exec(path);
  const caseId = m?.[1] ? decodeURIComponent(m[1]) : null;
  if (caseId && ID.test(caseId)) {
    const as = query.get('as');
    if (as && ID.test(as)) return <PartyRoom key={`${caseId}:${as}`} caseId={caseId} as={as} />;
    return <RequireAccount role="mediator">{(a) => <MediatorConsole key={caseId} caseId={caseId} account={a} />}</RequireAccount>;
  }
  return (
    <Shell>
      <PageTitle sub={t('notFound.sub')}>{t('notFound.title')}</PageTitle>
    </Shell>
  );
}
