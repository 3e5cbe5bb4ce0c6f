import { ErrorBody } from '@caucus/protocol';
import type { z } from 'zod';
import { t, type MessageKey } from '../i18n/index.ts';

/**
 * The one way the app talks HTTP. Errors become an ApiError whose `message` is a
 * catalogue sentence a party understands; the server's own text and codes never reach
 * the screen raw.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly fields: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const ERROR_KEYS: Record<string, MessageKey> = {
  validation: 'error.validation',
  unauthenticated: 'error.unauthenticated',
  forbidden: 'error.forbidden',
  csrf: 'error.csrf',
  not_found: 'error.notFound',
  conflict: 'error.conflict',
  gone: 'error.gone',
  agreement_required: 'error.agreementRequired',
  payload_too_large: 'error.tooLarge',
  rate_limited: 'error.rateLimited',
  internal: 'error.internal',
};

export function errorMessage(code: string): string {
  return t(ERROR_KEYS[code] ?? 'error.internal');
}

/** A thrown value as words for the screen. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return t('error.network');
}

export interface RequestOptions<T> {
  readonly body?: unknown;
  /** The participant this tab acts as (header x-caucus-as), for invited participants. */
  readonly as?: string | null;
  readonly schema?: z.ZodType<T>;
  /** Commands carry an idempotency key, so that a retry never acts twice. */
  readonly idempotent?: boolean;
  readonly signal?: AbortSignal;
}

export async function api<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, o: RequestOptions<T> = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.as) headers['x-caucus-as'] = o.as;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.idempotent) headers['idempotency-key'] = crypto.randomUUID();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
      credentials: 'same-origin',
      signal: o.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError('network', 0, t('error.network'));
  }
  if (res.status === 204) return undefined as T;
  const json: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const parsed = ErrorBody.safeParse(json);
    const code = parsed.success ? parsed.data.error.code : res.status >= 500 ? 'internal' : 'validation';
    throw new ApiError(code, res.status, errorMessage(code), parsed.success ? (parsed.data.error.issues ?? []) : []);
  }
  if (!o.schema) return json as T;
  const checked = o.schema.safeParse(json);
  if (!checked.success) throw new ApiError('internal', res.status, t('error.internal'));
  return checked.data;
}
