import { CreateCaseBody } from '@caucus/protocol';
import { describe, expect, it } from 'vitest';
import { emptyDraft, stepErrors, toBody } from './create-case-model.ts';

describe('create-case wizard model', () => {
  it('refuses to leave a step with missing names, in plain words', () => {
    const d = emptyDraft();
    expect(stepErrors(d, 'basics')).toEqual({ title: 'Please give the case a title.' });
    expect(Object.keys(stepErrors(d, 'people'))).toEqual(['side-0', 'member-0-0', 'side-1', 'member-1-0']);
  });

  it('builds a body the server schema accepts; the default agreement is left to the server', () => {
    const d = { ...emptyDraft(), title: ' Lease ', agreementText: 'x'.repeat(30) };
    d.sides = [
      { name: 'Tenant', members: [{ role: 'party', displayName: 'Ana', email: '' }] },
      { name: 'Landlord', members: [{ role: 'representative', displayName: 'Counsel', email: 'c@example.org' }] },
    ];
    const body = toBody(d);
    expect(body.agreementText).toBeUndefined();
    expect(body.title).toBe('Lease');
    expect(CreateCaseBody.safeParse(body).success).toBe(true);
    expect(CreateCaseBody.safeParse(toBody({ ...d, agreementEdited: true })).success).toBe(true);
  });
});
