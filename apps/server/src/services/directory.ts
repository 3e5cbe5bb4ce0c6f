import { requireAccount, type Principal } from './access.ts';
import { DEFAULT_AGREEMENT } from './agreement-text.ts';
import type { Services } from './context.ts';

/**
 * What a mediator needs to open a case: the other active mediators (to add as
 * co-mediators, by name only) and the default agreement texts to start editing from.
 */
export async function caseDirectory(svc: Services, principal: Principal | null) {
  requireAccount(principal, 'mediator');
  const accounts = await svc.accounts.list();
  return {
    mediators: accounts.filter((a) => a.role === 'mediator' && a.disabledAt === null).map((a) => ({ id: a.id, displayName: a.displayName })),
    agreements: { ...DEFAULT_AGREEMENT },
  };
}
