import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { AUDIT_COLUMNS } from '../../src/storage/case.repository.ts';
import { TABLES } from '../../src/storage/schema.ts';
import { join, sampleCase, testServer } from '../harness.ts';

/**
 * C10: the words people write, the tokens that open a case and passwords never reach
 * the log, the audit trail or any stored column but the one made for content, even at
 * debug level and on failing requests.
 */
describe('logs and audit trail', () => {
  it('[C10] hold no message body, reason, note, e-mail, token or password', async () => {
    const sink = new PassThrough();
    const chunks: string[] = [];
    sink.on('data', (d: Buffer) => chunks.push(d.toString()));
    const server = await testServer({ logLevel: 'debug', logStream: sink });
    try {
      const m = await server.mediator('c10-mediator@example.org');
      const created = await m.post<{ case: { id: string; sides: { id: string }[] }; invitations: { url: string }[] }>(
        '/api/v1/cases',
        sampleCase({
          sides: [
            { name: 'Tenant', members: [{ role: 'party', displayName: 'Ana', email: 'secret-ana@example.org' }] },
            { name: 'Landlord', members: [{ role: 'party', displayName: 'Ben', email: null }] },
          ],
        }),
      );
      const caseId = created.body.case.id;
      const [sideA] = created.body.case.sides;
      const a = await join(server, created.body.invitations[0]!.url);
      await m.post(`/api/v1/cases/${caseId}/session/start`);
      await m.post(`/api/v1/cases/${caseId}/session/separate`, { sideId: sideA!.id, purpose: 'PURPOSE-MARKER-77' });
      await a.browser.post(`/api/v1/cases/${caseId}/rooms/caucus:${sideA!.id}/messages`, { body: 'BODY-MARKER-42' });
      await a.browser.post(`/api/v1/cases/${caseId}/caucus-requests`, { reason: 'REASON-MARKER-13' });
      await m.post(`/api/v1/cases/${caseId}/rooms/notes:general/messages`, { body: 'NOTE-MARKER-99' });
      // Failing requests too: a bad body, a forbidden room, a wrong password.
      await a.browser.post(`/api/v1/cases/${caseId}/rooms/notes:general/messages`, { body: 'FORBIDDEN-MARKER-5' });
      await m.post(`/api/v1/cases/${caseId}/rooms/joint/messages`, { body: 'X', extra: 'INVALID-MARKER-8' });
      await server.browser().post('/api/v1/auth/login', { email: 'c10-mediator@example.org', password: 'PASSWORD-MARKER-3' });

      const log = chunks.join('');
      expect(log.length).toBeGreaterThan(500); // the log was written, at debug level
      // Every other column of every table, too: what people wrote is in events.content only
      // (the one column per-case encryption wraps, C11); tokens and passwords nowhere.
      const elsewhere: string[] = [];
      for (const table of TABLES) {
        const rows = (await sql.raw(`SELECT * FROM "${table}"`).execute(server.db.kysely)).rows as Record<string, unknown>[];
        for (const row of rows)
          for (const [column, value] of Object.entries(row)) if (!(table === 'events' && column === 'content')) elsewhere.push(`${table}.${column}=${String(value)}`);
      }
      const stored = elsewhere.join('\n');
      // The audit trail is the log without its content column; every other column counts.
      const audit = JSON.stringify(await server.db.kysely.selectFrom('events').select(AUDIT_COLUMNS).select('data').execute());
      const secrets = [
        'BODY-MARKER-42',
        'REASON-MARKER-13',
        'PURPOSE-MARKER-77',
        'NOTE-MARKER-99',
        'FORBIDDEN-MARKER-5',
        'INVALID-MARKER-8',
        'PASSWORD-MARKER-3',
        'secret-ana@example.org',
        'correct horse battery',
        new URL(created.body.invitations[1]!.url).hash.slice('#token='.length),
        ...[...m.cookies.values()],
        ...[...a.browser.cookies.values()],
      ];
      for (const s of secrets) {
        expect(log, `log contains ${s}`).not.toContain(s);
        expect(audit, `audit contains ${s}`).not.toContain(s);
        expect(stored, `a column other than events.content holds ${s}`).not.toContain(s);
      }
      // ...while the words themselves were stored, in that column, sealed with the case's key (C11).
      const key = server.db.keys.get(caseId);
      const rows = (await sql<{ id: string; content: string }>`SELECT id, content FROM events WHERE content IS NOT NULL`.execute(server.db.kysely)).rows;
      const content = rows.map((r) => key?.open(r.id, r.content) ?? '').join('');
      for (const w of ['BODY-MARKER-42', 'REASON-MARKER-13', 'PURPOSE-MARKER-77', 'NOTE-MARKER-99', 'secret-ana@example.org']) expect(content, w).toContain(w);
    } finally {
      await server.stop();
    }
  });
});
