/** What both baselines share: synthetic provisioning and prebuilt frames shaped like ours. */
import type { CaseCred, ClientCred, Provisioned } from '../lib/types.ts';

export function syntheticCases(from: number, n: number, url: string): Provisioned {
  const cases: CaseCred[] = [];
  for (let i = from; i < from + n; i++) {
    const sideIds: [string, string] = [`sA${i}x`, `sB${i}x`];
    const clients: ClientCred[] = [
      { pid: `med${i}xxxx`, role: 'mediator', side: null, cookie: '', as: null },
      { pid: `pa${i}xxxxx`, role: 'party', side: 0, cookie: '', as: null },
      { pid: `ra${i}xxxxx`, role: 'representative', side: 0, cookie: '', as: null },
      { pid: `pb${i}xxxxx`, role: 'party', side: 1, cookie: '', as: null },
      { pid: `rb${i}xxxxx`, role: 'representative', side: 1, cookie: '', as: null },
    ];
    cases.push({ idx: i, caseId: String(i), sideIds, clients });
  }
  return { url, origin: url, cases, engine: 'memory', provisionMs: 0 };
}

export interface BaseMember {
  readonly pid: string;
  readonly role: string;
  /** 0 or 1, or -1 for the mediator. */
  readonly side: number;
  focus: string | null;
}

/** Per-case state of a baseline: phase, mediator's room, positions per stream. */
export class BaseCase<M extends BaseMember> {
  readonly members = new Set<M>();
  phase = 'joint';
  room: string | null = null;
  private readonly positions = new Map<string, number>();
  private seq = 0;

  constructor(readonly idx: string) {}

  sideOf(stream: string): number | null {
    if (stream === `caucus:sA${this.idx}x`) return 0;
    if (stream === `caucus:sB${this.idx}x`) return 1;
    return null;
  }

  /** Whether a member is in a stream's audience (joint: everyone; caucus: that side and the mediator). */
  inAudience(m: M, stream: string): boolean {
    if (stream === 'joint' || stream === 'session') return true;
    const s = this.sideOf(stream);
    return s !== null && (m.side === -1 || m.side === s);
  }

  eventFrame(stream: string, actor: string, body: string): string {
    const position = (this.positions.get(stream) ?? 0) + 1;
    this.positions.set(stream, position);
    const id = `ev${this.idx}-${++this.seq}`;
    return JSON.stringify({
      t: 'event',
      event: { id, stream, position, type: 'message.posted', actorId: actor, at: Date.now(), data: { messageId: id, authorId: actor, label: stream === 'joint' ? null : 'confidential' }, content: { body } },
    });
  }

  viewFrame(): string {
    return JSON.stringify({ t: 'view', view: { session: { phase: this.phase, mediatorRoom: this.room, since: Date.now() } } });
  }

  presenceFrame(stream: string): string {
    const online: string[] = [];
    for (const m of this.members) if (this.inAudience(m, stream) && (stream === 'joint' || m.focus === stream)) online.push(m.pid);
    return JSON.stringify({ t: 'presence', stream, online: online.sort() });
  }

  typingFrame(stream: string, pid: string): string {
    return JSON.stringify({ t: 'typing', stream, participantId: pid });
  }

  command(kind: 'separate' | 'move' | 'reconvene', sideId: string | null): void {
    if (kind === 'reconvene') {
      this.phase = 'joint';
      this.room = null;
    } else {
      this.phase = 'separate';
      this.room = sideId;
    }
  }
}

export function parseQuery(url: string | undefined): { c: string; p: string; r: string; s: number } | null {
  const q = new URL(url ?? '/', 'http://x').searchParams;
  const c = q.get('c');
  const p = q.get('p');
  const r = q.get('r');
  const s = Number(q.get('s'));
  return c && p && r && Number.isInteger(s) ? { c, p, r, s } : null;
}
