import { CloseCode, type LiveCommand, PROTOCOL_VERSION, ServerFrame, type ClientFrame } from '@caucus/protocol';
import { ApiError, errorMessage } from '../api/client.ts';
import { t } from '../i18n/index.ts';
import { applyFrame, emptyState, resumePositions, withStatus, type CaseState } from './case-state.ts';

/**
 * One WebSocket per case tab (docs/live-protocol.md). After each `hello` it resumes
 * every stream from the last position held, so a reconnect loses and repeats nothing
 * (repeats are dropped by id in the state anyway). Closes other than "access changed"
 * and "bad frame" reconnect with exponential back-off. Everything it touches in the
 * outside world comes in through `LiveDeps`, so the logic runs in plain unit tests.
 */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface LiveDeps {
  open(url: string): SocketLike;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  now(): number;
  random(): number;
  /** After a refusal or an "access changed" close: does our session still stand? */
  stillAllowed(): Promise<boolean>;
  /** A fresh random id for a command (it is also the command's idempotency key). */
  newId(): string;
}

type CommandFrame = Extract<ClientFrame, { t: 'cmd' }>;

export interface StateHolder {
  get(): CaseState;
  set(next: CaseState): void;
}

export const HEARTBEAT_MS = 20_000;
export const SILENCE_LIMIT_MS = 45_000;

/** 0.5 s, 1 s, 2 s … capped at 15 s, with ±20 % jitter so that clients do not stampede. */
export function backoffDelay(attempt: number, random: number): number {
  const base = Math.min(15_000, 500 * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * random));
}

const OPEN = 1;

export class LiveConnection {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private stopped = false;
  private retryTimer: unknown = null;
  private beatTimer: unknown = null;
  private lastFrameAt = 0;
  private focused: string | null = null;
  private opened = false;
  /** Commands sent and not yet answered, in order; sent again (same id) after a reconnect. */
  private readonly unanswered = new Map<string, { readonly frame: CommandFrame; resolve(): void; reject(e: Error): void }>();

  constructor(
    private readonly url: string,
    private readonly state: StateHolder,
    private readonly deps: LiveDeps,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /**
   * Sends a command over the live socket (docs/live-protocol.md) when the connection is
   * live, and resolves once the server has stored it; null when it is not live (send it
   * over HTTP then). A refusal rejects with the same ApiError HTTP would give. If the
   * connection drops before the answer, the command goes again, with the same id, after
   * the next resume: the server carries it out at most once.
   */
  command(command: LiveCommand): Promise<void> | null {
    if (this.socket?.readyState !== OPEN || !this.state.get().caughtUp) return null;
    const frame: CommandFrame = { t: 'cmd', id: this.deps.newId(), command };
    return new Promise<void>((resolve, reject) => {
      this.unanswered.set(frame.id, { frame, resolve, reject });
      this.send(frame);
    });
  }

  private answer(id: string, err: Error | null): void {
    const w = this.unanswered.get(id);
    if (!w) return;
    this.unanswered.delete(id);
    if (err) w.reject(err);
    else w.resolve();
  }

  private failUnanswered(): void {
    for (const id of [...this.unanswered.keys()]) this.answer(id, new ApiError('network', 0, t('error.network')));
  }

  stop(): void {
    this.failUnanswered();
    this.stopped = true;
    if (this.retryTimer !== null) this.deps.clearTimer(this.retryTimer);
    if (this.beatTimer !== null) this.deps.clearTimer(this.beatTimer);
    this.retryTimer = this.beatTimer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = s.onmessage = s.onopen = s.onerror = null;
      s.close(1000, 'bye');
    }
  }

  /** The room on screen (drives presence inside rooms); re-sent after every reconnect. */
  focus(stream: string | null): void {
    this.focused = stream;
    this.send({ t: 'focus', stream });
  }

  typing(stream: string): void {
    this.send({ t: 'typing', stream });
  }

  private send(frame: ClientFrame): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }

  private connect(): void {
    if (this.stopped) return;
    this.retryTimer = null;
    this.opened = false;
    const s = this.deps.open(this.url);
    this.socket = s;
    s.onopen = () => {
      this.opened = true;
      this.lastFrameAt = this.deps.now();
      this.heartbeat();
    };
    s.onmessage = (ev) => this.onMessage(ev.data);
    s.onerror = () => undefined; // a close always follows
    s.onclose = (ev) => this.onClose(s, ev.code);
  }

  private onMessage(data: unknown): void {
    this.lastFrameAt = this.deps.now();
    let json: unknown;
    try {
      json = typeof data === 'string' ? JSON.parse(data) : null;
    } catch {
      json = null;
    }
    const parsed = ServerFrame.safeParse(json);
    if (!parsed.success) return;
    const frame = parsed.data;
    const next = applyFrame(this.state.get(), frame, this.deps.now());
    this.state.set(next);
    if (frame.t === 'hello') {
      this.send({ t: 'resume', v: PROTOCOL_VERSION, streams: resumePositions(next) });
      if (this.focused) this.send({ t: 'focus', stream: this.focused });
    }
    if (frame.t === 'caught-up') {
      this.attempt = 0;
      // After a reconnect: the server dedupes by id; `again` has it read the record first.
      for (const w of this.unanswered.values()) this.send({ ...w.frame, again: true });
    }
    if (frame.t === 'ack') this.answer(frame.id, null);
    if (frame.t === 'nack') this.answer(frame.id, new ApiError(frame.error.code, frame.status, errorMessage(frame.error.code), frame.error.issues ?? []));
  }

  private heartbeat(): void {
    this.beatTimer = this.deps.setTimer(() => {
      if (this.stopped || !this.socket) return;
      if (this.deps.now() - this.lastFrameAt > SILENCE_LIMIT_MS) {
        // A silent peer: treat it as a cut connection and resume on a new one.
        this.socket.close(4001, 'silent');
        this.onClose(this.socket, 1006);
        return;
      }
      this.send({ t: 'ping' });
      this.heartbeat();
    }, HEARTBEAT_MS);
  }

  private onClose(s: SocketLike, code: number): void {
    if (this.socket !== s || this.stopped) return;
    s.onclose = s.onmessage = s.onopen = s.onerror = null;
    this.socket = null;
    if (this.beatTimer !== null) this.deps.clearTimer(this.beatTimer);
    this.beatTimer = null;
    if (code === CloseCode.badFrame) {
      this.failUnanswered();
      this.state.set(withStatus(this.state.get(), 'failed'));
      return;
    }
    const mustCheck = code === CloseCode.accessChanged || code === CloseCode.unauthenticated || code === CloseCode.notFound || !this.opened;
    this.state.set({ ...withStatus(this.state.get(), 'reconnecting'), caughtUp: false });
    if (!mustCheck) return this.scheduleRetry();
    this.deps.stillAllowed().then(
      (ok) => {
        if (this.stopped) return;
        if (ok) this.scheduleRetry();
        else {
          this.failUnanswered();
          // Access has ended: nothing of the case stays on screen or in memory (the rooms,
          // their messages, who is there), only the notice that says so.
          this.state.set({ ...emptyState, status: 'ended' });
        }
      },
      () => this.scheduleRetry(), // offline: keep trying
    );
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.deps.random());
    this.attempt = Math.min(this.attempt + 1, 10);
    this.retryTimer = this.deps.setTimer(() => this.connect(), delay);
  }
}
