import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

/** Configuration comes from the environment only; a bad value stops the start with a message naming it. */

function failure(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('defaults: port 3000 on 127.0.0.1, ./data resolved, public URL derived, no secure cookies', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      dataDir: path.resolve('./data'),
      keysDir: path.resolve('./data/keys'),
      databaseUrl: null,
      publicUrl: 'http://127.0.0.1:3000',
      secureCookies: false,
      trustProxy: false,
      logLevel: 'info',
      idempotencyDays: 7,
    });
    expect(path.isAbsolute(loadConfig({}).dataDir)).toBe(true);
  });

  it('an empty variable means its default', () => {
    const c = loadConfig({ PORT: '', DATABASE_URL: '', PUBLIC_URL: '', TRUST_PROXY: '' });
    expect(c).toMatchObject({ port: 3000, databaseUrl: null, publicUrl: 'http://127.0.0.1:3000', trustProxy: false });
  });

  it('derives the public URL from host and port', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '80' }).publicUrl).toBe('http://localhost:80');
    expect(loadConfig({ HOST: '::' }).publicUrl).toBe('http://localhost:3000');
    expect(loadConfig({ HOST: '::1' }).publicUrl).toBe('http://[::1]:3000');
    expect(loadConfig({ HOST: 'mediation.internal' }).publicUrl).toBe('http://mediation.internal:3000');
  });

  it('secure cookies exactly when PUBLIC_URL is https; trailing slashes are dropped', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://mediate.example.org/' })).toMatchObject({ publicUrl: 'https://mediate.example.org', secureCookies: true });
    expect(loadConfig({ PUBLIC_URL: 'http://mediate.example.org' })).toMatchObject({ publicUrl: 'http://mediate.example.org', secureCookies: false });
    expect(loadConfig({ PUBLIC_URL: 'https://example.org/caucus//' }).publicUrl).toBe('https://example.org/caucus');
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '443' }).secureCookies).toBe(false);
  });

  it('keeps other values', () => {
    const c = loadConfig({ DATA_DIR: '/var/lib/caucus', DATABASE_URL: 'postgresql://caucus@db/caucus', TRUST_PROXY: 'true', LOG_LEVEL: 'warn', PORT: '0' });
    expect(c).toMatchObject({ dataDir: '/var/lib/caucus', databaseUrl: 'postgresql://caucus@db/caucus', trustProxy: true, logLevel: 'warn', port: 0 });
    expect(loadConfig({ DATA_DIR: 'rel/dir' }).dataDir).toBe(path.resolve('rel/dir'));
    // The case keys (C11) follow DATA_DIR unless they are put elsewhere.
    expect(loadConfig({ DATA_DIR: '/var/lib/caucus' }).keysDir).toBe('/var/lib/caucus/keys');
    expect(loadConfig({ DATA_DIR: '/var/lib/caucus', KEYS_DIR: '/secure/keys' }).keysDir).toBe('/secure/keys');
    expect(loadConfig({ KEYS_DIR: '' }).keysDir).toBe(path.resolve('./data/keys'));
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h:5432/d' }).databaseUrl).toBe('postgres://u@h:5432/d');
  });

  it('IDEMPOTENCY_DAYS: whole days from 1 to 3650; anything else is refused with a message naming it', () => {
    expect(loadConfig({ IDEMPOTENCY_DAYS: '30' }).idempotencyDays).toBe(30);
    expect(loadConfig({ IDEMPOTENCY_DAYS: '' }).idempotencyDays).toBe(7);
    for (const days of ['0', '-1', '1.5', 'week', '3651']) expect(failure({ IDEMPOTENCY_DAYS: days })).toMatch(/\bIDEMPOTENCY_DAYS: /);
  });

  it('a bad PORT is refused with a message naming PORT', () => {
    for (const port of ['abc', '70000', '65536', '-1', '3000.5', '80a']) {
      const msg = failure({ PORT: port });
      expect(msg).toMatch(/^Invalid configuration:/);
      expect(msg).toMatch(/\bPORT: /);
    }
  });

  it('a bad DATABASE_URL is refused with a message naming it', () => {
    for (const url of ['mysql://root@localhost/caucus', 'sqlite:///data/caucus.db', 'not a url', 'localhost:5432']) {
      expect(failure({ DATABASE_URL: url })).toMatch(/\bDATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    }
  });

  it('a bad PUBLIC_URL is refused with a message naming it', () => {
    for (const url of ['ftp://example.org', 'mediate.example.org', 'javascript:alert(1)', 'http//missing-colon', 'https://']) {
      expect(failure({ PUBLIC_URL: url })).toMatch(/\bPUBLIC_URL: must be an http:\/\/ or https:\/\/ URL/);
    }
  });

  it('other bad values are named too, all at once', () => {
    const msg = failure({ PORT: 'x', PUBLIC_URL: 'ftp://x', TRUST_PROXY: 'yes', LOG_LEVEL: 'verbose', HOST: '' });
    for (const name of ['PORT', 'PUBLIC_URL', 'TRUST_PROXY', 'LOG_LEVEL', 'HOST']) expect(msg).toMatch(new RegExp(`\\b${name}: `));
    expect(msg).not.toMatch(/DATABASE_URL/);
  });

  it('[C10] a refused DATABASE_URL or PUBLIC_URL is not echoed (it may hold a password)', () => {
    const msg = failure({ DATABASE_URL: 'mysql://caucus:s3cr3t-pw@db/caucus', PUBLIC_URL: 'ftp://user:other-s3cr3t@host' });
    expect(msg).not.toContain('s3cr3t');
  });
});
