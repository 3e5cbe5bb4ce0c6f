import type { CaseSettings, Label, Regime, Role } from './types.ts';

/** Commands an actor can give about a case. Validated at the edge before they get here. */
export interface MemberInput {
  readonly role: Exclude<Role, 'mediator'>;
  readonly displayName: string;
  readonly email: string | null;
}

export interface CommandMap {
  'open-case': {
    title: string;
    reference: string;
    regime: Regime;
    agreementHash: string;
    settings: CaseSettings;
    sides: { name: string; members: MemberInput[] }[];
    mediators: { accountId: string; displayName: string; email: string | null; lead: boolean }[];
    observers: { displayName: string; email: string | null }[];
    /** When the personal links issued with the case expire. */
    invitationExpiresAt: number;
  };
  'add-participant': { role: Exclude<Role, 'mediator'>; sideId: string | null; displayName: string; email: string | null };
  'remove-participant': { participantId: string };
  'issue-invitation': { participantId: string; expiresAt: number };
  'revoke-invitation': { participantId: string };
  'accept-agreement': { agreementHash: string };
  'start-session': Record<string, never>;
  'start-separate': { sideId: string; purpose: string | null };
  'move-mediator': { sideId: string | null };
  reconvene: { countdownSeconds: number };
  'open-joint': Record<string, never>;
  pause: Record<string, never>;
  'end-session': Record<string, never>;
  /** Closes the case for good and destroys what people wrote in it (C11); the content-free record stays. */
  'close-case': Record<string, never>;
  'signal-ready': Record<string, never>;
  'post-message': { stream: string; body: string; label: Label | null };
  'set-label': { messageId: string; label: Label };
  'request-caucus': { reason: string | null };
  'answer-request': { requestId: string; answer: 'accepted' | 'declined' | 'deferred'; reply: string | null };
}

export type CommandType = keyof CommandMap;
export type Command = { [K in CommandType]: { readonly type: K; readonly input: CommandMap[K] } }[CommandType];
export type CommandOf<K extends CommandType> = Extract<Command, { type: K }>;
