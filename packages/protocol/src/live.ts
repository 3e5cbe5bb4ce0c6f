import { z } from 'zod';
import { ErrorBody, Id, PROTOCOL_VERSION, StreamId } from './common.ts';
import {
  AnswerRequestBody,
  CaseView,
  EmptyBody,
  EventView,
  MoveBody,
  PostMessageBody,
  ReconveneBody,
  RequestCaucusBody,
  SetLabelBody,
  StartSeparateBody,
} from './http.ts';

const command = <T extends string, I extends z.ZodType>(type: T, input: I) => z.strictObject({ type: z.literal(type), input });

/**
 * The commands a connected client may send over its live socket instead of HTTP: the same
 * domain commands, with the same bodies (plus the room or item the URL would name). They
 * are decided, stored and acknowledged exactly like their HTTP twins.
 */
export const LiveCommand = z.discriminatedUnion('type', [
  command('post-message', PostMessageBody.extend({ stream: StreamId })),
  command('set-label', SetLabelBody.extend({ messageId: Id })),
  command('request-caucus', RequestCaucusBody),
  command('answer-request', AnswerRequestBody.extend({ requestId: Id })),
  command('start-session', EmptyBody),
  command('start-separate', StartSeparateBody),
  command('move-mediator', MoveBody),
  command('reconvene', ReconveneBody),
  command('open-joint', EmptyBody),
  command('pause', EmptyBody),
  command('end-session', EmptyBody),
  command('signal-ready', EmptyBody),
]);
export type LiveCommand = z.infer<typeof LiveCommand>;

/** A command's id: chosen by the client, unique per participant; it doubles as the Idempotency-Key. */
export const CommandId = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, 'not a valid command id');

/** What a command created (message, request, participant), as HTTP answers list it. */
export const Created = z.object({ id: z.string(), stream: StreamId, position: z.number().int() });

/** Frames a client sends on its live connection. Anything else closes it (4400). */
export const ClientFrame = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('resume'), v: z.literal(PROTOCOL_VERSION), streams: z.record(StreamId, z.number().int().min(0)) }),
  z.strictObject({ t: z.literal('focus'), stream: StreamId.nullable() }),
  z.strictObject({ t: z.literal('typing'), stream: StreamId }),
  z.strictObject({ t: z.literal('ping') }),
  // `again`: this id was sent on an earlier connection and not answered there (read first, see the server's Idempotency.again).
  z.strictObject({ t: z.literal('cmd'), id: CommandId, command: LiveCommand, again: z.literal(true).optional() }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** Frames the server pushes. */
export const ServerFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello'), v: z.literal(PROTOCOL_VERSION), view: CaseView }),
  z.object({ t: z.literal('event'), event: EventView }),
  z.object({ t: z.literal('view'), view: CaseView }),
  z.object({ t: z.literal('caught-up'), heads: z.record(StreamId, z.number().int()) }),
  z.object({ t: z.literal('presence'), stream: StreamId, online: z.array(z.string()) }),
  z.object({ t: z.literal('typing'), stream: StreamId, participantId: z.string() }),
  z.object({ t: z.literal('pong') }),
  z.object({ t: z.literal('error'), code: z.string(), message: z.string() }),
  /** The command `id` is stored (and its events were sent before this frame). */
  z.object({ t: z.literal('ack'), id: CommandId, created: z.array(Created) }),
  /** The command `id` was refused; nothing of it was stored. `status` is what HTTP would answer. */
  z.object({ t: z.literal('nack'), id: CommandId, status: z.number().int(), error: ErrorBody.shape.error }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** WebSocket close codes the server uses; a client reconnects after any of them but 4401/4404. */
export const CloseCode = {
  accessChanged: 4000,
  slowConsumer: 4008,
  badFrame: 4400,
  unauthenticated: 4401,
  notFound: 4404,
  shuttingDown: 1001,
} as const;
