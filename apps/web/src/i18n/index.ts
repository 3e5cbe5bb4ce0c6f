import { en, type Messages } from './en.ts';

/**
 * The message catalogue. Every user-facing string goes through `t`, so that a second
 * language is one more catalogue of the same shape. Placeholders are `{name}`; plural
 * forms are separate keys ending in `_one` / `_other`, chosen with Intl.PluralRules.
 */
export type MessageKey = keyof Messages;
export type Params = Readonly<Record<string, string | number>>;

const catalogue: Messages = en;
/** The catalogue's own language: what joins words inside its sentences. */
const catalogueLanguage = 'en';
export const locale: string = typeof navigator !== 'undefined' ? navigator.language : 'en';

export function interpolate(template: string, params: Params = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

export function t(key: MessageKey, params?: Params): string {
  return interpolate(catalogue[key], params);
}

type PluralBase<K> = K extends `${infer B}_one` ? (`${B}_other` extends MessageKey ? B : never) : never;
export type PluralKey = PluralBase<MessageKey>;

const names = new Intl.ListFormat(catalogueLanguage, { type: 'conjunction' });
/** Names joined as the catalogue's sentences join them ("you, Mia and Ben"). */
export const listOf = (items: readonly string[]): string => names.format(items);

const plurals = new Intl.PluralRules(catalogueLanguage);
export function tn(key: PluralKey, count: number, params: Params = {}): string {
  const form = plurals.select(count) === 'one' ? 'one' : 'other';
  return t(`${key}_${form}` as MessageKey, { count, ...params });
}
