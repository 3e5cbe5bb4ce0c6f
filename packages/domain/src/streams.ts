/**
 * Streams are the unit of audience. Each event belongs to exactly one stream, and a
 * stream's audience follows from its kind and the case's membership alone, so that
 * delivering an event is a lookup and never a search (architecture.md, C5).
 */
export type StreamKind = 'session' | 'joint' | 'caucus' | 'counsel' | 'mediators' | 'notes';

export type StreamId = string;

export interface ParsedStream {
  readonly kind: StreamKind;
  /** The side a caucus or per-side notes stream belongs to; null otherwise. */
  readonly sideId: string | null;
}

export const SESSION: StreamId = 'session';
export const JOINT: StreamId = 'joint';
export const COUNSEL: StreamId = 'counsel';
export const MEDIATORS: StreamId = 'mediators';
export const NOTES_GENERAL: StreamId = 'notes:general';

export const caucusStream = (sideId: string): StreamId => `caucus:${sideId}`;
export const notesStream = (sideId: string): StreamId => `notes:${sideId}`;

const SIDE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses a stream id; returns null for anything malformed (never throws). */
export function parseStream(id: string): ParsedStream | null {
  switch (id) {
    case 'session':
    case 'joint':
    case 'counsel':
    case 'mediators':
      return { kind: id, sideId: null };
    case NOTES_GENERAL:
      return { kind: 'notes', sideId: null };
  }
  const m = /^(caucus|notes):(.+)$/.exec(id);
  if (!m || !SIDE_ID.test(m[2] ?? '')) return null;
  return { kind: m[1] as 'caucus' | 'notes', sideId: m[2] ?? null };
}

/** Rooms are the streams people write messages in (the session stream is not one). */
export const isRoom = (kind: StreamKind): boolean => kind !== 'session';
