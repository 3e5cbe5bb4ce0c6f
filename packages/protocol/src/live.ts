import { z } from 'zod';
import { PROTOCOL_VERSION, StreamId } from './common.ts';
import { CaseView, EventView } from './http.ts';

/** Frames a client sends on its live connection. Anything else closes it (4400). */
export const ClientFrame = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('resume'), v: z.literal(PROTOCOL_VERSION), streams: z.record(StreamId, z.number().int().min(0)) }),
  z.strictObject({ t: z.literal('focus'), stream: StreamId.nullable() }),
  z.strictObject({ t: z.literal('typing'), stream: StreamId }),
  z.strictObject({ t: z.literal('ping') }),
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
