import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Idempotency } from '../services/case-engine.ts';
import type { Principal } from '../services/access.ts';
import { HttpError } from './errors.ts';

/**
 * One route = method, path, zod schemas and a handler. The same definitions validate
 * requests and produce the OpenAPI document, so the two cannot drift apart.
 */
export interface RouteContext<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly principal: Principal | null;
  /** Present when the client sent an Idempotency-Key header. */
  readonly idempotency: Idempotency | null;
  readonly ip: string;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  readonly response?: z.ZodType;
  readonly status?: number;
  /** Whether the route accepts an Idempotency-Key (state-changing commands). */
  readonly idempotent?: boolean;
  readonly handler: (ctx: RouteContext<P, Q, B>) => Promise<unknown>;
}

export const route = <P, Q, B>(def: RouteDef<P, Q, B>): RouteDef => def as unknown as RouteDef;

const issuesOf = (e: z.ZodError, prefix: string) =>
  e.issues.flatMap((i) => {
    const at = [prefix, ...i.path.map(String)];
    // An unknown field is named by its own path, like any other bad field.
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: [...at, k].filter(Boolean).join('.'), message: 'Unknown field.' }));
    return [{ path: at.filter(Boolean).join('.'), message: i.message }];
  });

/** Validates one part of a request; a failure is a 400 naming each bad field. */
export function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: 'body' | 'query' | 'params'): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (r.success) return r.data;
  if (part === 'params') throw new HttpError('not_found', 'Not found.'); // a malformed id is an id that does not exist (C9)
  throw new HttpError('validation', `The request ${part} is not valid.`, issuesOf(r.error, part));
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

export function idempotencyKey(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  const v = Array.isArray(header) ? header[0] : header;
  if (!v || !IDEMPOTENCY_KEY.test(v)) throw new HttpError('validation', 'Idempotency-Key must be 8–128 letters, digits or . _ : -');
  return v;
}
