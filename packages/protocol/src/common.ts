import { z } from 'zod';

/** Version of the live protocol; a client announcing another version is refused. */
export const PROTOCOL_VERSION = 1;

export const Id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'not a valid id');
export const StreamId = z
  .string()
  .regex(/^(session|joint|counsel|mediators|notes:general|(caucus|notes):[A-Za-z0-9_-]{1,64})$/, 'not a valid room');
export const Label = z.enum(['confidential', 'shareable']);
export const Regime = z.enum(['opt-in', 'opt-out']);
export const Role = z.enum(['mediator', 'party', 'representative', 'observer']);
export const Phase = z.enum(['none', 'joint', 'separate', 'reconvening', 'paused']);

const trimmed = (min: number, max: number) => z.string().trim().min(min).max(max);
export const DisplayName = trimmed(1, 120);
export const Email = z.string().trim().toLowerCase().max(254).pipe(z.email());
export const Password = z.string().min(12, 'at least 12 characters').max(256);
export const Body = z.string().max(20_000).refine((s) => s.trim().length > 0, 'must not be empty');

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
