import { AccountLinkBody, LoginBody, MeResponse, RedeemBody, SetupBody } from '@caucus/protocol';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { completeSetup, login, logout, type NewSession, publicAccount, setupNeeded, useAccountLink } from '../../services/accounts.ts';
import type { Principal } from '../../services/access.ts';
import { redeemInvitation } from '../../services/invitations.ts';
import { ACCOUNT_COOKIE, participantCookie, serializeCookie } from '../cookies.ts';
import { HttpError } from '../errors.ts';
import { route } from '../route.ts';
import type { RouteDeps } from './deps.ts';

export function authRoutes(d: RouteDeps) {
  const setCookie = (reply: FastifyReply, name: string, value: string, expiresAt: number | null) =>
    reply.header('set-cookie', serializeCookie(name, value, { expiresAt, secure: d.config.secureCookies }));

  /** A new account session: its cookie, and who is now signed in. */
  const signedIn = (reply: FastifyReply, s: NewSession): z.infer<typeof MeResponse> => {
    setCookie(reply, ACCOUNT_COOKIE, s.sessionId, s.expiresAt);
    return { kind: 'account', account: publicAccount(s.account), participant: null };
  };

  const me = async (p: Principal | null): Promise<z.infer<typeof MeResponse>> => {
    if (!p) throw new HttpError('unauthenticated', 'Not signed in.');
    if (p.kind === 'account') return { kind: 'account', account: publicAccount(p.account), participant: null };
    const rec = await d.engine.load(p.caseId);
    const part = rec?.state.participants[p.participantId];
    if (!part) throw new HttpError('unauthenticated', 'Not signed in.');
    return { kind: 'participant', account: null, participant: { id: part.id, caseId: p.caseId, displayName: part.displayName, accepted: part.acceptedAt !== null } };
  };

  return [
    route({
      method: 'GET',
      path: '/api/v1/setup',
      tag: 'accounts',
      summary: 'Whether the first administrator still has to be created',
      response: z.object({ needed: z.boolean() }),
      handler: async () => ({ needed: await setupNeeded(d.svc) }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/setup',
      tag: 'accounts',
      summary: 'Create the first administrator with the one-time setup link',
      body: SetupBody,
      response: MeResponse,
      handler: async ({ body, reply }) => {
        const s = await completeSetup(d.svc, body);
        return signedIn(reply, s);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/auth/login',
      tag: 'accounts',
      summary: 'Sign in with e-mail and password',
      body: LoginBody,
      response: MeResponse,
      handler: async ({ body, reply, ip }) => {
        const keys = [`email:${body.email}`, `ip:${ip}`];
        const wait = Math.max(...keys.map((k) => d.loginLimiter.wait(k)));
        if (wait > 0) {
          reply.header('retry-after', String(wait));
          throw new HttpError('rate_limited', `Too many sign-in attempts. Try again in ${Math.ceil(wait / 60)} minutes.`);
        }
        const s = await login(d.svc, body.email, body.password).catch((e: unknown) => {
          for (const k of keys) d.loginLimiter.fail(k);
          throw e;
        });
        d.loginLimiter.reset(`email:${body.email}`);
        return signedIn(reply, s);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/auth/link',
      tag: 'accounts',
      summary: 'Use a one-time sign-in link (optionally setting a password)',
      body: AccountLinkBody,
      response: MeResponse,
      handler: async ({ body, reply }) => {
        const s = await useAccountLink(d.svc, body.token, body.password);
        return signedIn(reply, s);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/auth/logout',
      tag: 'accounts',
      summary: 'End this session (its live connections close first)',
      status: 204,
      handler: async ({ principal, reply }) => {
        await logout(d.svc, principal);
        if (principal) setCookie(reply, principal.kind === 'account' ? ACCOUNT_COOKIE : participantCookie(principal.participantId), '', null);
        return undefined;
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/invitations/redeem',
      tag: 'invitations',
      summary: 'Exchange a personal invitation token for a session, once',
      body: RedeemBody,
      response: z.object({ caseId: z.string(), participantId: z.string() }),
      handler: async ({ body, reply }) => {
        const s = await redeemInvitation(d.svc, d.engine, body.token);
        setCookie(reply, participantCookie(s.participantId), s.sessionId, s.expiresAt);
        return { caseId: s.caseId, participantId: s.participantId };
      },
    }),
    route({ method: 'GET', path: '/api/v1/me', tag: 'accounts', summary: 'Who this session is', response: MeResponse, handler: ({ principal }) => me(principal) }),
  ];
}
