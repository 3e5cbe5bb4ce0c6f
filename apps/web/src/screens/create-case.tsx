import { useEffect, useRef, useState } from 'react';
import { endpoints, type Directory, type Invitation } from '../api/endpoints.ts';
import { Link, Shell } from '../components/shell.tsx';
import { Button, CopyButton, Notice, PageTitle } from '../components/ui.tsx';
import { t, type MessageKey } from '../i18n/index.ts';
import { useAction, useLoad } from '../lib/hooks.ts';
import { storeLinks } from '../lib/links.ts';
import { navigate, useDocumentTitle } from '../lib/router.ts';
import { emptyDraft, STEPS, stepErrors, toBody, type CaseDraft, type Step } from './create-case-model.ts';
import { BasicsStep, MoreStep, PeopleStep, ReviewStep, RulesStep } from './create-case-steps.tsx';
import type { AccountInfo } from './require-account.tsx';

const STEP_TITLE: Record<Step, MessageKey> = {
  basics: 'wizard.step.basics',
  rules: 'wizard.step.rules',
  people: 'wizard.step.people',
  more: 'wizard.step.more',
  review: 'wizard.step.review',
};

/** The create-case wizard: case, rules, people, more, review; then every personal link once. */
export function CreateCaseScreen(props: { account: AccountInfo }) {
  useDocumentTitle(t('title.newCase'));
  const [dir] = useLoad(() => endpoints.directory(), []);
  const [draft, setDraft] = useState<CaseDraft>(emptyDraft);
  const [step, setStep] = useState<Step>('basics');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<{ caseId: string; invitations: Invitation[] } | null>(null);
  const act = useAction();
  const stepHeading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  const directory: Directory | null = dir.status === 'ok' ? dir.data : null;

  useEffect(() => {
    if (directory && !draft.agreementEdited) setDraft((d) => ({ ...d, agreementText: directory.agreements[d.regime] }));
  }, [directory, draft.regime, draft.agreementEdited]);
  useEffect(() => {
    if (first.current) first.current = false;
    else stepHeading.current?.focus();
  }, [step, created]);

  const index = STEPS.indexOf(step);
  const next = () => {
    const e = stepErrors(draft, step);
    setErrors(e);
    if (Object.keys(e).length > 0) return;
    const n = STEPS[index + 1];
    if (n) setStep(n);
  };
  const back = () => {
    const p = STEPS[index - 1];
    if (p) setStep(p);
  };
  const create = () =>
    void act.run(async () => {
      const r = await endpoints.createCase(toBody(draft));
      storeLinks(r.case.id, Object.fromEntries(r.invitations.map((i) => [i.participantId, i.url])));
      setCreated({ caseId: r.case.id, invitations: r.invitations });
    });

  if (created)
    return (
      <Shell account={props.account} here="cases">
        <PageTitle sub={t('wizard.doneSub')}>{t('wizard.doneTitle')}</PageTitle>
        <section className="card" aria-labelledby="links-h">
          <h2 id="links-h" ref={stepHeading} tabIndex={-1}>
            {t('wizard.links')}
          </h2>
          <p className="muted">{t('wizard.linksExplain')}</p>
          <ul className="plain-list links">
            {created.invitations.map((i) => (
              <li key={i.participantId} className="link-row">
                <div>
                  <p className="person-name">{i.displayName}</p>
                  <p className="link-text small" data-testid={`link-${i.displayName}`}>
                    {i.url}
                  </p>
                </div>
                <CopyButton text={i.url} label={t('people.copyFor', { name: i.displayName })} />
              </li>
            ))}
          </ul>
          <div className="actions">
            <Button variant="primary" onClick={() => navigate(`/cases/${encodeURIComponent(created.caseId)}`)}>
              {t('wizard.openConsole')}
            </Button>
          </div>
        </section>
      </Shell>
    );

  return (
    <Shell account={props.account} here="cases">
      <p className="crumb">
        <Link to="/cases">{t('console.allCases')}</Link>
      </p>
      <PageTitle sub={t('wizard.sub')}>{t('wizard.title')}</PageTitle>
      <ol className="steps" aria-label={t('wizard.progress')}>
        {STEPS.map((s, i) => (
          <li key={s} className={i < index ? 'done' : i === index ? 'current' : ''} aria-current={i === index ? 'step' : undefined}>
            <span className="step-no" aria-hidden="true">
              {i + 1}
            </span>
            <span>{t(STEP_TITLE[s])}</span>
          </li>
        ))}
      </ol>
      <section className="card wizard" aria-labelledby="step-h">
        <h2 id="step-h" ref={stepHeading} tabIndex={-1}>
          {t('wizard.stepOf', { n: index + 1, total: STEPS.length, title: t(STEP_TITLE[step]) })}
        </h2>
        {Object.keys(errors).length > 0 ? <Notice kind="error">{t('wizard.fixErrors')}</Notice> : null}
        {step === 'basics' ? <BasicsStep draft={draft} set={setDraft} errors={errors} /> : null}
        {step === 'rules' ? <RulesStep draft={draft} set={setDraft} errors={errors} directory={directory} /> : null}
        {step === 'people' ? <PeopleStep draft={draft} set={setDraft} errors={errors} /> : null}
        {step === 'more' ? <MoreStep draft={draft} set={setDraft} errors={errors} directory={directory} me={props.account.id} /> : null}
        {step === 'review' ? <ReviewStep draft={draft} directory={directory} /> : null}
        {act.error ? <Notice kind="error">{act.error}</Notice> : null}
        <div className="actions wizard-actions">
          {index > 0 ? <Button onClick={back}>{t('wizard.back')}</Button> : null}
          {step !== 'review' ? (
            <Button variant="primary" onClick={next}>
              {t('wizard.next')}
            </Button>
          ) : (
            <Button variant="primary" onClick={create} busy={act.busy}>
              {t('wizard.create')}
            </Button>
          )}
        </div>
      </section>
    </Shell>
  );
}
