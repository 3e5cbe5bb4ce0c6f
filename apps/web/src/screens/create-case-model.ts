import type { CreateCaseBody } from '@caucus/protocol';
import type { z } from 'zod';
import { t } from '../i18n/index.ts';

/** The create-case wizard's draft and its checks (pure, tested). */
export interface MemberDraft {
  role: 'party' | 'representative';
  displayName: string;
  email: string;
}
export interface SideDraft {
  name: string;
  members: MemberDraft[];
}
export interface CaseDraft {
  title: string;
  reference: string;
  regime: 'opt-in' | 'opt-out';
  agreementText: string;
  agreementEdited: boolean;
  sides: SideDraft[];
  coMediators: string[];
  observers: { displayName: string; email: string }[];
  requesterVisible: boolean;
  observersAllowed: boolean;
}

export const newMember = (): MemberDraft => ({ role: 'party', displayName: '', email: '' });
export const emptyDraft = (): CaseDraft => ({
  title: '',
  reference: '',
  regime: 'opt-in',
  agreementText: '',
  agreementEdited: false,
  sides: [
    { name: '', members: [newMember()] },
    { name: '', members: [newMember()] },
  ],
  coMediators: [],
  observers: [],
  requesterVisible: false,
  observersAllowed: false,
});

export const STEPS = ['basics', 'rules', 'people', 'more', 'review'] as const;
export type Step = (typeof STEPS)[number];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Problems that stop the wizard leaving a step, keyed by field, in the user's words. */
export function stepErrors(d: CaseDraft, step: Step): Record<string, string> {
  const e: Record<string, string> = {};
  if (step === 'basics' && !d.title.trim()) e.title = t('wizard.err.title');
  if (step === 'rules' && d.agreementText.trim().length < 20) e.agreement = t('wizard.err.agreement');
  if (step === 'people') {
    d.sides.forEach((s, i) => {
      if (!s.name.trim()) e[`side-${i}`] = t('wizard.err.sideName');
      s.members.forEach((m, j) => {
        if (!m.displayName.trim()) e[`member-${i}-${j}`] = t('wizard.err.memberName');
        if (m.email.trim() && !EMAIL.test(m.email.trim())) e[`email-${i}-${j}`] = t('wizard.err.email');
      });
      if (s.members.length === 0) e[`side-${i}`] = t('wizard.err.noMembers');
    });
  }
  if (step === 'more')
    d.observers.forEach((o, i) => {
      if (!o.displayName.trim()) e[`observer-${i}`] = t('wizard.err.memberName');
    });
  return e;
}

export function toBody(d: CaseDraft): z.input<typeof CreateCaseBody> {
  return {
    title: d.title.trim(),
    reference: d.reference.trim(),
    regime: d.regime,
    ...(d.agreementEdited ? { agreementText: d.agreementText.trim() } : {}),
    settings: { requesterVisible: d.requesterVisible, observersAllowed: d.observersAllowed },
    sides: d.sides.map((s) => ({
      name: s.name.trim(),
      members: s.members.map((m) => ({ role: m.role, displayName: m.displayName.trim(), email: m.email.trim() || null })),
    })),
    coMediators: d.coMediators,
    observers: d.observersAllowed ? d.observers.map((o) => ({ displayName: o.displayName.trim(), email: o.email.trim() || null })) : [],
  };
}
