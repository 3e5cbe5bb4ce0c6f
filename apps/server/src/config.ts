import path from 'node:path';
import { z } from 'zod';

/** Configuration comes from the environment only, validated once at start. */
const Env = z.object({
  // An empty PORT= means the default, like the other variables; coercing it would give 0 (a random port).
  PORT: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.coerce.number().int().min(0).max(65535).default(3000)),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Where the per-case keys live (C11); `<DATA_DIR>/keys` when unset. */
  KEYS_DIR: z.string().optional().transform((v) => (v && v.trim() !== '' ? v : undefined)),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional().or(z.literal('').transform(() => undefined)),
  TRUST_PROXY: z
    .enum(['true', 'false', '1', '0', ''])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('info'),
  IDEMPOTENCY_DAYS: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.coerce.number().int().min(1).max(3650).default(7)),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** The per-case keys of what people wrote (C11): with either engine, files on this machine. */
  readonly keysDir: string;
  readonly databaseUrl: string | null;
  /** Base of every link the server hands out; also the only Origin allowed to change state. */
  readonly publicUrl: string;
  readonly secureCookies: boolean;
  readonly trustProxy: boolean;
  readonly logLevel: string;
  /** How long a command's idempotency record is kept: a retry within it gets the first answer. */
  readonly idempotencyDays: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const host = e.HOST;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const publicUrl = (e.PUBLIC_URL ?? `http://${shownHost}:${e.PORT}`).replace(/\/+$/, '');
  return {
    port: e.PORT,
    host,
    dataDir: path.resolve(e.DATA_DIR),
    keysDir: path.resolve(e.KEYS_DIR ?? path.join(e.DATA_DIR, 'keys')),
    databaseUrl: e.DATABASE_URL ?? null,
    publicUrl,
    secureCookies: publicUrl.startsWith('https://'),
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    idempotencyDays: e.IDEMPOTENCY_DAYS,
  };
}
