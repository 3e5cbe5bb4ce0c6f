import { DomainError, type ErrorCode } from '@caucus/domain';
import type { ErrorBody } from '@caucus/protocol';
import { StoreFailed } from '../services/ports.ts';

/** The one table from error codes to HTTP statuses (and live close codes, see live/). */
export const HTTP_STATUS: Record<ErrorCode | 'csrf' | 'payload_too_large' | 'unsupported_media_type' | 'internal' | 'unavailable', number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  agreement_required: 403,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

export class HttpError extends Error {
  constructor(
    readonly code: keyof typeof HTTP_STATUS,
    message: string,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof DomainError) {
    return { status: HTTP_STATUS[err.code], body: { error: { code: err.code, message: err.message } } };
  }
  if (err instanceof HttpError) {
    return { status: HTTP_STATUS[err.code], body: { error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } } };
  }
  if (err instanceof StoreFailed)
    return {
      status: 503,
      body: {
        error: {
          code: 'unavailable',
          message: 'The server could not make sure this was saved and has stopped taking changes. It may have been saved: send it again, with the same key, once the server is back.',
        },
      },
    };
  const fe = err as { statusCode?: number; code?: string };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 413, body: { error: { code: 'payload_too_large', message: 'The request body is too large.' } } };
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return { status: 415, body: { error: { code: 'unsupported_media_type', message: 'Send JSON (Content-Type: application/json).' } } };
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (err instanceof SyntaxError && fe.statusCode === 400))
    return { status: 400, body: { error: { code: 'validation', message: 'The request body is not valid JSON.' } } };
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
    return { status: fe.statusCode, body: { error: { code: 'validation', message: 'The request could not be understood.' } } };
  // Never echo an internal error: its message could carry content (C10).
  return { status: 500, body: { error: { code: 'internal', message: 'Something went wrong on our side. Nothing was changed; please try again.' } } };
}
