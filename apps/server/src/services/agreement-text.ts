import type { Regime } from '@caucus/domain';

/**
 * Default agreements to mediate, one per regime. Mediators edit them per case; the
 * exact text each participant accepted is fixed by its hash.
 */
const common = `We agree to take part in this mediation in good faith. The mediator is neutral, does not decide the dispute and does not give legal advice. Any of us may end the mediation at any time. Nothing said, written or offered in the mediation may be used later in court or arbitration, except a signed settlement agreement. The mediator will not be called as a witness.`;

export const DEFAULT_AGREEMENT: Record<Regime, string> = {
  'opt-in': `${common}

Separate sessions (opt-in confidentiality). The mediator may meet each side alone. Everything a side says or shares in its separate session stays confidential: the mediator passes nothing on to another side unless that side approves the exact words first. Every item passed on is recorded.`,
  'opt-out': `${common}

Separate sessions (opt-out confidentiality). The mediator may meet each side alone. The mediator may pass on what a side says in its separate session, unless that side marks it confidential; an item marked confidential is never passed on. The side sees what was passed on, and every item passed on is recorded.`,
};
