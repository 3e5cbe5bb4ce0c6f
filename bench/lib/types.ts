import type { DiskWaitSummary } from '../../apps/server/src/storage/disk-waits.ts';

/** What the orchestrator, the load generator and the server children share. */
export type Kind = 'ours' | 'ws' | 'sio';
export type Role = 'mediator' | 'party' | 'representative';

export interface ClientCred {
  readonly pid: string;
  readonly role: Role;
  /** 0 or 1 for side members; null for the mediator. */
  readonly side: 0 | 1 | null;
  /** Cookie header for the live socket and HTTP commands (ours only). */
  readonly cookie: string;
  /** ?as= / x-caucus-as (ours: participants only). */
  readonly as: string | null;
}

export interface CaseCred {
  readonly idx: number;
  readonly caseId: string;
  readonly sideIds: readonly [string, string];
  /** mediator, A party, A representative, B party, B representative. */
  readonly clients: readonly ClientCred[];
}

export interface Provisioned {
  readonly url: string;
  readonly origin: string;
  readonly cases: readonly CaseCred[];
  readonly engine: string;
  readonly provisionMs: number;
}

export interface Mem {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface PhaseStats {
  /** Server CPU time (user + system) over the phase, µs, from process.cpuUsage in the server. */
  readonly cpuUs: number;
  readonly wallMs: number;
  /** Event-loop delay (perf_hooks.monitorEventLoopDelay) over the phase, ms. */
  readonly eldP50: number;
  readonly eldP99: number;
  readonly eldMax: number;
  /** Ours on SQLite: the batches' waits on the disk over the phase (the store's own count, disk-waits.ts); else null. */
  readonly disk: DiskWaitSummary | null;
}

export type Request =
  | { readonly op: 'provision'; readonly cases: number }
  | { readonly op: 'mem' }
  | { readonly op: 'phase-start' }
  | { readonly op: 'phase-end' }
  | { readonly op: 'stop' };

export interface Envelope {
  readonly id: number;
  readonly req: Request;
}

export interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

/** A server under test, as the child process drives it. */
export interface Target {
  provision(cases: number): Promise<Provisioned>;
  /** The store's waits on the disk (ours on SQLite), reset at each phase start. */
  readonly diskWaits?: { summary(): DiskWaitSummary; reset(): void };
  close(): Promise<void>;
}

/** Client → baseline-server frames (ours uses HTTP for commands). */
export type BaselineClientFrame =
  | { readonly t: 'post'; readonly rid: number; readonly stream: string; readonly body: string }
  | { readonly t: 'cmd'; readonly rid: number; readonly kind: 'separate' | 'move' | 'reconvene'; readonly sideId: string | null }
  | { readonly t: 'typing'; readonly stream: string }
  | { readonly t: 'focus'; readonly stream: string | null };
