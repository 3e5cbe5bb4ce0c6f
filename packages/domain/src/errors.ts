/**
 * Every failure the domain can report. The transport edge maps each code to an HTTP
 * status and a live close code in one table; domain code never knows about HTTP.
 *
 * `not_found` is also the answer for anything the actor may not observe (rule C9):
 * callers must not be able to tell "hidden" from "absent".
 */
export type ErrorCode =
  | 'validation'
  | 'unauthenticated'
  | 'not_found'
  | 'forbidden'
  | 'conflict'
  | 'agreement_required'
  | 'rate_limited'
  | 'gone';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what = 'Not found'): DomainError => new DomainError('not_found', what);
export const forbidden = (why: string): DomainError => new DomainError('forbidden', why);
export const conflict = (why: string): DomainError => new DomainError('conflict', why);
export const invalid = (why: string, details?: Record<string, unknown>): DomainError =>
  new DomainError('validation', why, details);
