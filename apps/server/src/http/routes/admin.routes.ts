import { AccountParams, CreateAccountBody } from '@caucus/protocol';
import { adminCreateMediator, adminListAccounts, adminListCases, adminSetDisabled } from '../../services/accounts.ts';
import { route } from '../route.ts';
import type { RouteDeps } from './deps.ts';

/** Administrators manage mediator accounts and see the case list, never case content. */
export function adminRoutes(d: RouteDeps) {
  return [
    route({ method: 'GET', path: '/api/v1/admin/accounts', tag: 'admin', summary: 'List accounts', handler: ({ principal }) => adminListAccounts(d.svc, principal) }),
    route({
      method: 'POST',
      path: '/api/v1/admin/accounts',
      tag: 'admin',
      summary: 'Create a mediator account; the answer carries its one-time welcome link',
      body: CreateAccountBody,
      status: 201,
      handler: ({ principal, body }) => adminCreateMediator(d.svc, principal, body),
    }),
    route({
      method: 'POST',
      path: '/api/v1/admin/accounts/:accountId/disable',
      tag: 'admin',
      summary: 'Disable an account: its sessions and live connections end',
      params: AccountParams,
      handler: ({ principal, params }) => adminSetDisabled(d.svc, principal, params.accountId, true),
    }),
    route({
      method: 'POST',
      path: '/api/v1/admin/accounts/:accountId/enable',
      tag: 'admin',
      summary: 'Enable a disabled account',
      params: AccountParams,
      handler: ({ principal, params }) => adminSetDisabled(d.svc, principal, params.accountId, false),
    }),
    route({ method: 'GET', path: '/api/v1/admin/cases', tag: 'admin', summary: 'List every case (no content)', handler: ({ principal }) => adminListCases(d.svc, principal) }),
  ];
}
