import { describe, expect, it } from 'vitest';
import { COUNSEL, JOINT, MEDIATORS, NOTES_GENERAL, notesStream, type ErrorCode, type ItemMeta, type Label } from '../src/index.ts';
import { ALL_WHO, attempt, caucusA, caucusB, cmd, openCase, post, type Who, type World } from './fixtures.ts';

interface DefaultRow {
  readonly who: Who;
  readonly stream: (w: World) => string;
  readonly where: string;
  /** null: the stream carries no labels; 'default': the regime's default. */
  readonly label: 'default' | null;
}

const DEFAULT_ROWS: readonly DefaultRow[] = [
  { who: 'partyA', stream: caucusA, where: "party A in side A's caucus", label: 'default' },
  { who: 'repB', stream: caucusB, where: "counsel B in side B's caucus", label: 'default' },
  { who: 'lead', stream: caucusA, where: "the mediator in side A's caucus", label: 'default' },
  { who: 'partyA', stream: () => JOINT, where: 'party A in the joint room', label: null },
  { who: 'repA', stream: () => COUNSEL, where: 'counsel A in the counsel room', label: null },
  { who: 'lead', stream: () => MEDIATORS, where: 'the mediator in the mediators room', label: null },
  { who: 'co', stream: () => NOTES_GENERAL, where: 'the co-mediator in general notes', label: null },
  { who: 'lead', stream: (w) => notesStream(w.sideB), where: "the mediator in side B's notes", label: null },
];

describe('[C4] default labels', () => {
  it.each([
    { regime: 'opt-in', expected: 'confidential' },
    { regime: 'opt-out', expected: 'shareable' },
  ] as const)('[C4] under $regime caucus items default to $expected, and nothing outside a caucus carries a label', ({ regime, expected }) => {
    const w = openCase({ regime });
    const actual = DEFAULT_ROWS.map((row) => `${row.where}: ${String(post(w, row.who, row.stream(w)).label)}`);
    expect(actual).toEqual(DEFAULT_ROWS.map((row) => `${row.where}: ${row.label === 'default' ? expected : 'null'}`));
  });

  it('[C4] an explicit label on a caucus item overrides the default in both regimes', () => {
    const optIn = openCase({ regime: 'opt-in' });
    expect(post(optIn, 'partyA', caucusA(optIn), 'shareable').label).toBe('shareable');
    const optOut = openCase({ regime: 'opt-out' });
    expect(post(optOut, 'partyA', caucusA(optOut), 'confidential').label).toBe('confidential');
  });

  it('[C4] a label given outside a caucus is rejected as invalid, and nothing is posted', () => {
    const w = openCase();
    const rows: [Who, string][] = [
      ['partyA', JOINT],
      ['repA', COUNSEL],
      ['lead', MEDIATORS],
      ['lead', NOTES_GENERAL],
      ['lead', notesStream(w.sideA)],
    ];
    for (const [who, stream] of rows) {
      for (const label of ['confidential', 'shareable'] as const) {
        const r = attempt(w, who, cmd('post-message', { stream, body: 'x', label }));
        expect(r.ok ? 'ok' : r.code, `${who} ${stream} ${label}`).toBe('validation');
      }
    }
    expect(w.log.some((e) => e.type === 'message.posted')).toBe(false);
  });
});

type LabelOutcome = ErrorCode | 'labelled';

/** Tries to set `label` on `item` as `who`; 'labelled' when exactly the right event came out. */
function setLabel(w: World, who: Who, item: ItemMeta, label: Label): LabelOutcome | 'unchanged' {
  const r = attempt(w, who, cmd('set-label', { messageId: item.id, label }), item);
  if (!r.ok) return r.code;
  if (r.events.length === 0) return 'unchanged';
  expect(r.events).toHaveLength(1);
  expect(r.events[0]).toMatchObject({ type: 'message.labelled', stream: item.stream, data: { messageId: item.id, label } });
  return 'labelled';
}

describe("[C4] only the author's side changes a label", () => {
  it.each([
    {
      author: 'partyA',
      expected: { lead: 'forbidden', co: 'forbidden', partyA: 'labelled', repA: 'labelled', partyB: 'not_found', repB: 'not_found', observer: 'not_found' },
    },
    {
      author: 'lead',
      expected: { lead: 'labelled', co: 'labelled', partyA: 'forbidden', repA: 'forbidden', partyB: 'not_found', repB: 'not_found', observer: 'not_found' },
    },
  ] as const)("[C4][C1] an item by $author in side A's caucus: who may relabel it", ({ author, expected }) => {
    const actual: Partial<Record<Who, string>> = {};
    for (const who of ALL_WHO) {
      const w = openCase({ regime: 'opt-out', observer: true });
      const item = post(w, author, caucusA(w));
      actual[who] = setLabel(w, who, item, 'confidential');
    }
    expect(actual).toEqual(expected);
  });

  it("[C4][C9] the other side's attempt is answered exactly like a message that does not exist", () => {
    const w = openCase();
    const item = post(w, 'partyA', caucusA(w));
    const hidden = attempt(w, 'partyB', cmd('set-label', { messageId: item.id, label: 'shareable' }), item);
    const missing = attempt(w, 'partyB', cmd('set-label', { messageId: 'caucus:side-2-99', label: 'shareable' }), null);
    expect(hidden).toMatchObject({ ok: false, code: 'not_found' });
    expect(missing).toEqual(hidden);
  });

  it('an item outside a caucus has no label to change', () => {
    const w = openCase();
    const item = post(w, 'partyA', JOINT);
    expect(setLabel(w, 'partyA', item, 'confidential')).toBe('conflict');
  });
});

describe('[C4] a conveyed item cannot be made confidential again', () => {
  it.each([
    { from: 'confidential', conveyed: false, to: 'shareable', expected: 'labelled' },
    { from: 'shareable', conveyed: false, to: 'confidential', expected: 'labelled' },
    { from: 'shareable', conveyed: true, to: 'confidential', expected: 'conflict' },
    { from: 'confidential', conveyed: true, to: 'shareable', expected: 'labelled' },
    { from: 'shareable', conveyed: true, to: 'shareable', expected: 'unchanged' },
    { from: 'confidential', conveyed: false, to: 'confidential', expected: 'unchanged' },
  ] as const)('[C4] $from → $to with conveyed=$conveyed: $expected', ({ from, conveyed, to, expected }) => {
    const w = openCase({ regime: from === 'confidential' ? 'opt-in' : 'opt-out' });
    const posted = post(w, 'repA', caucusA(w));
    expect(posted.label).toBe(from);
    const before = w.log.length;
    expect(setLabel(w, 'partyA', { ...posted, conveyed }, to)).toBe(expected);
    expect(w.log.length - before).toBe(expected === 'labelled' ? 1 : 0);
  });

  it('[C4] the mediators cannot tighten their own conveyed item either', () => {
    const w = openCase({ regime: 'opt-out' });
    const item = { ...post(w, 'lead', caucusB(w)), conveyed: true };
    const r = attempt(w, 'co', cmd('set-label', { messageId: item.id, label: 'confidential' }), item);
    expect(r).toMatchObject({ ok: false, code: 'conflict' });
  });
});
