import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from './en.ts';
import { interpolate } from './index.ts';

/** The catalogue is complete: every key used exists, every key is used, no text is hard-coded in JSX. */
const SRC = path.resolve(import.meta.dirname, '..');
const files = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : []));
const sources = files(SRC).filter((f) => !f.includes(`${path.sep}i18n${path.sep}`) && !f.endsWith('fixtures.ts'));
const code = sources.map((f) => fs.readFileSync(f, 'utf8')).join('\n');

describe('message catalogue', () => {
  it('has every key the code uses', () => {
    const used = new Set([...code.matchAll(/\bt\('([\w.]+)'/g)].map((m) => m[1] ?? ''));
    const missing = [...used].filter((k) => !(k in en));
    expect(missing).toEqual([]);
  });

  it('has no unused keys (plural forms count through their base)', () => {
    const unused = Object.keys(en).filter((k) => {
      const base = k.replace(/_(one|other)$/, '');
      return !code.includes(`'${k}'`) && !code.includes(`'${base}'`);
    });
    expect(unused).toEqual([]);
  });

  it('has no hard-coded user-facing text between JSX tags', () => {
    const offenders = sources
      .filter((f) => f.endsWith('.tsx'))
      .flatMap((f) =>
        [...fs.readFileSync(f, 'utf8').matchAll(/>([^<>{}]*[A-Za-z]{2,}[^<>{}]*)</g)]
          .map((m) => (m[1] ?? '').trim())
          .filter((txt) => txt && !/[;=(){}?]|=>|&&|\|\|/.test(txt) && !/^(Promise|HTML\w*Element|Record|Set|Map)$/.test(txt))
          .map((txt) => `${path.basename(f)}: ${txt}`),
      );
    expect(offenders).toEqual([]);
  });

  it('has no hard-coded aria-label, placeholder or title strings', () => {
    expect(code.match(/(aria-label|placeholder|title)="[^"]*[A-Za-z]/g) ?? []).toEqual([]);
  });

  it('interpolates placeholders and leaves unknown ones visible', () => {
    expect(interpolate('Hello {name}', { name: 'Ana' })).toBe('Hello Ana');
    expect(interpolate('Hello {name}')).toBe('Hello {name}');
  });
});
