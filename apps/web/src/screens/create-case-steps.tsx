import { useId, type Dispatch, type SetStateAction } from 'react';
import type { Directory } from '../api/endpoints.ts';
import { Button, Field } from '../components/ui.tsx';
import { t } from '../i18n/index.ts';
import { newMember, type CaseDraft } from './create-case-model.ts';

type StepProps = { draft: CaseDraft; set: Dispatch<SetStateAction<CaseDraft>>; errors: Record<string, string> };

export function BasicsStep({ draft, set, errors }: StepProps) {
  return (
    <>
      <Field label={t('case.title')} value={draft.title} onChange={(v) => set((d) => ({ ...d, title: v }))} required maxLength={200} hint={t('wizard.titleHint')} error={errors.title} autoFocus />
      <Field label={t('case.reference')} value={draft.reference} onChange={(v) => set((d) => ({ ...d, reference: v }))} maxLength={100} hint={t('wizard.referenceHint')} />
    </>
  );
}

export function RulesStep({ draft, set, errors, directory }: StepProps & { directory: Directory | null }) {
  const id = useId();
  const choose = (regime: CaseDraft['regime']) => set((d) => ({ ...d, regime, ...(d.agreementEdited ? {} : { agreementText: directory?.agreements[regime] ?? d.agreementText }) }));
  return (
    <>
      <fieldset className="choices">
        <legend>{t('wizard.regime')}</legend>
        {(['opt-in', 'opt-out'] as const).map((r) => (
          <label key={r} className={`choice${draft.regime === r ? ' on' : ''}`}>
            <input type="radio" name={`${id}-regime`} checked={draft.regime === r} onChange={() => choose(r)} />
            <span className="choice-body">
              <span className="choice-title">{r === 'opt-in' ? t('regime.optIn.name') : t('regime.optOut.name')}</span>
              <span>{r === 'opt-in' ? t('regime.optIn.plain') : t('regime.optOut.plain')}</span>
              <span className="muted small">{r === 'opt-in' ? t('regime.optIn.basis') : t('regime.optOut.basis')}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <Field
        label={t('wizard.agreement')}
        value={draft.agreementText}
        onChange={(v) => set((d) => ({ ...d, agreementText: v, agreementEdited: true }))}
        multiline={10}
        required
        maxLength={50000}
        hint={t('wizard.agreementHint')}
        error={errors.agreement}
      />
      {draft.agreementEdited && directory ? (
        <Button small variant="quiet" onClick={() => set((d) => ({ ...d, agreementEdited: false, agreementText: directory.agreements[d.regime] }))}>
          {t('wizard.agreementReset')}
        </Button>
      ) : null}
    </>
  );
}

export function PeopleStep({ draft, set, errors }: StepProps) {
  const id = useId();
  const setSide = (i: number, f: (s: CaseDraft['sides'][number]) => CaseDraft['sides'][number]) =>
    set((d) => ({ ...d, sides: d.sides.map((s, k) => (k === i ? f(s) : s)) }));
  return (
    <>
      <p className="muted">{t('wizard.peopleExplain')}</p>
      {draft.sides.map((side, i) => (
        <fieldset key={i} className="side-box">
          <legend>{t('wizard.sideN', { n: i + 1 })}</legend>
          <Field label={t('wizard.sideName')} value={side.name} onChange={(v) => setSide(i, (s) => ({ ...s, name: v }))} required maxLength={120} hint={t('wizard.sideNameHint')} error={errors[`side-${i}`]} />
          {side.members.map((m, j) => (
            <div key={j} className="member-row">
              <div className="field">
                <label htmlFor={`${id}-role-${i}-${j}`}>{t('wizard.role')}</label>
                <select
                  id={`${id}-role-${i}-${j}`}
                  value={m.role}
                  onChange={(e) => setSide(i, (s) => ({ ...s, members: s.members.map((x, k) => (k === j ? { ...x, role: e.target.value === 'representative' ? 'representative' : 'party' } : x)) }))}
                >
                  <option value="party">{t('role.party')}</option>
                  <option value="representative">{t('role.representative')}</option>
                </select>
              </div>
              <Field
                label={t('field.name')}
                value={m.displayName}
                onChange={(v) => setSide(i, (s) => ({ ...s, members: s.members.map((x, k) => (k === j ? { ...x, displayName: v } : x)) }))}
                required
                maxLength={120}
                error={errors[`member-${i}-${j}`]}
              />
              <Field
                label={t('field.email')}
                type="email"
                value={m.email}
                onChange={(v) => setSide(i, (s) => ({ ...s, members: s.members.map((x, k) => (k === j ? { ...x, email: v } : x)) }))}
                error={errors[`email-${i}-${j}`]}
              />
              {side.members.length > 1 ? (
                <Button small variant="quiet" onClick={() => setSide(i, (s) => ({ ...s, members: s.members.filter((_, k) => k !== j) }))} ariaLabel={t('wizard.removePersonN', { n: j + 1, side: i + 1 })}>
                  {t('wizard.remove')}
                </Button>
              ) : null}
            </div>
          ))}
          <div className="actions">
            <Button small onClick={() => setSide(i, (s) => ({ ...s, members: [...s.members, newMember()] }))}>
              {t('wizard.addPerson')}
            </Button>
            {draft.sides.length > 2 ? (
              <Button small variant="quiet" onClick={() => set((d) => ({ ...d, sides: d.sides.filter((_, k) => k !== i) }))}>
                {t('wizard.removeSide')}
              </Button>
            ) : null}
          </div>
        </fieldset>
      ))}
      {draft.sides.length < 8 ? (
        <Button onClick={() => set((d) => ({ ...d, sides: [...d.sides, { name: '', members: [newMember()] }] }))}>{t('wizard.addSide')}</Button>
      ) : null}
    </>
  );
}

export function MoreStep({ draft, set, errors, directory, me }: StepProps & { directory: Directory | null; me: string }) {
  const others = directory?.mediators.filter((m) => m.id !== me) ?? [];
  return (
    <>
      <fieldset className="choices">
        <legend>{t('wizard.coMediators')}</legend>
        {others.length === 0 ? <p className="muted small">{t('wizard.noCoMediators')}</p> : null}
        {others.map((m) => (
          <label key={m.id} className="check">
            <input
              type="checkbox"
              checked={draft.coMediators.includes(m.id)}
              onChange={(e) => set((d) => ({ ...d, coMediators: e.target.checked ? [...d.coMediators, m.id] : d.coMediators.filter((x) => x !== m.id) }))}
            />
            <span>{m.displayName}</span>
          </label>
        ))}
      </fieldset>
      <fieldset className="choices">
        <legend>{t('wizard.settings')}</legend>
        <label className="check">
          <input type="checkbox" checked={draft.requesterVisible} onChange={(e) => set((d) => ({ ...d, requesterVisible: e.target.checked }))} />
          <span>
            {t('wizard.requesterVisible')}
            <span className="muted small block">{t('wizard.requesterVisibleHint')}</span>
          </span>
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.observersAllowed} onChange={(e) => set((d) => ({ ...d, observersAllowed: e.target.checked }))} />
          <span>
            {t('wizard.observersAllowed')}
            <span className="muted small block">{t('wizard.observersAllowedHint')}</span>
          </span>
        </label>
      </fieldset>
      {draft.observersAllowed ? (
        <fieldset className="side-box">
          <legend>{t('wizard.observers')}</legend>
          {draft.observers.map((o, i) => (
            <div key={i} className="member-row">
              <Field label={t('field.name')} value={o.displayName} onChange={(v) => set((d) => ({ ...d, observers: d.observers.map((x, k) => (k === i ? { ...x, displayName: v } : x)) }))} required error={errors[`observer-${i}`]} />
              <Field label={t('field.email')} type="email" value={o.email} onChange={(v) => set((d) => ({ ...d, observers: d.observers.map((x, k) => (k === i ? { ...x, email: v } : x)) }))} />
              <Button small variant="quiet" onClick={() => set((d) => ({ ...d, observers: d.observers.filter((_, k) => k !== i) }))}>
                {t('wizard.remove')}
              </Button>
            </div>
          ))}
          <Button small onClick={() => set((d) => ({ ...d, observers: [...d.observers, { displayName: '', email: '' }] }))}>
            {t('wizard.addObserver')}
          </Button>
        </fieldset>
      ) : null}
    </>
  );
}

export function ReviewStep({ draft, directory }: { draft: CaseDraft; directory: Directory | null }) {
  const co = directory?.mediators.filter((m) => draft.coMediators.includes(m.id)).map((m) => m.displayName) ?? [];
  return (
    <dl className="review">
      <dt>{t('case.title')}</dt>
      <dd>{draft.title}</dd>
      {draft.reference ? (
        <>
          <dt>{t('case.reference')}</dt>
          <dd>{draft.reference}</dd>
        </>
      ) : null}
      <dt>{t('wizard.regime')}</dt>
      <dd>
        {draft.regime === 'opt-in' ? t('regime.optIn.name') : t('regime.optOut.name')} — {draft.regime === 'opt-in' ? t('regime.optIn.plain') : t('regime.optOut.plain')}
      </dd>
      <dt>{t('wizard.agreement')}</dt>
      <dd>{draft.agreementEdited ? t('wizard.agreementCustom') : t('wizard.agreementDefault')}</dd>
      {draft.sides.map((s, i) => (
        <div key={i}>
          <dt>{s.name}</dt>
          <dd>{s.members.map((m) => `${m.displayName} (${m.role === 'party' ? t('role.party') : t('role.representative')})`).join(', ')}</dd>
        </div>
      ))}
      {co.length > 0 ? (
        <>
          <dt>{t('wizard.coMediators')}</dt>
          <dd>{co.join(', ')}</dd>
        </>
      ) : null}
      {draft.observersAllowed && draft.observers.length > 0 ? (
        <>
          <dt>{t('wizard.observers')}</dt>
          <dd>{draft.observers.map((o) => o.displayName).join(', ')}</dd>
        </>
      ) : null}
    </dl>
  );
}
