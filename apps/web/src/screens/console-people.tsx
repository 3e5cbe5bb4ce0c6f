import type { CaseView } from '@caucus/protocol';
import { useEffect, useState } from 'react';
import { endpoints, type InvitationStatus } from '../api/endpoints.ts';
import { Badge, Button, CopyButton, Notice } from '../components/ui.tsx';
import { t, type MessageKey } from '../i18n/index.ts';
import { useAction } from '../lib/hooks.ts';
import { dropLink, storedLinks, storeLinks } from '../lib/links.ts';
import type { CaseState } from '../live/case-state.ts';
import { sideName } from '../live/selectors.ts';

const STATUS: Record<InvitationStatus['status'], { key: MessageKey; tone: 'neutral' | 'ok' | 'warn' | 'danger' | 'info' }> = {
  pending: { key: 'invite.pending', tone: 'warn' },
  joined: { key: 'invite.joined', tone: 'info' },
  accepted: { key: 'invite.accepted', tone: 'ok' },
  revoked: { key: 'invite.revoked', tone: 'danger' },
  expired: { key: 'invite.expired', tone: 'danger' },
  none: { key: 'invite.none', tone: 'neutral' },
};

/** Where someone is, from presence: in a side's room (on screen), connected, or away. */
function whereIs(state: CaseState, view: CaseView, pid: string): { online: boolean; text: string } {
  for (const s of view.sides) if (state.presence[`caucus:${s.id}`]?.includes(pid)) return { online: true, text: t('people.inRoom', { side: s.name }) };
  if (state.presence.joint?.includes(pid)) return { online: true, text: t('people.online') };
  return { online: false, text: t('people.offline') };
}

/** Who is in the case, who is online and where, invitation states, personal links. */
export function PeoplePanel(props: { caseId: string; view: CaseView; state: CaseState; refreshKey: string }) {
  const { caseId, view, state } = props;
  const [inv, setInv] = useState<InvitationStatus[]>([]);
  const [links, setLinks] = useState(() => storedLinks(caseId));
  const [tick, setTick] = useState(0);
  const act = useAction();
  useEffect(() => {
    let live = true;
    endpoints.invitations(caseId).then(
      (r) => live && setInv(r),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [caseId, props.refreshKey, tick]);

  const reissue = (pid: string) =>
    void act.run(async () => {
      const r = await endpoints.reissue(caseId, pid);
      storeLinks(caseId, { [pid]: r.url });
      setLinks(storedLinks(caseId));
      setTick((n) => n + 1);
    });
  /** Revoking a link and removing someone both end their access, after a confirmation; the link this browser kept goes too. */
  const endAccess = (confirmKey: 'people.revokeConfirm' | 'people.removeConfirm', call: (caseId: string, pid: string) => Promise<unknown>) => (pid: string, name: string) => {
    if (!window.confirm(t(confirmKey, { name }))) return;
    void act.run(async () => {
      await call(caseId, pid);
      dropLink(caseId, pid);
      setLinks(storedLinks(caseId));
      setTick((n) => n + 1);
    });
  };
  const revoke = endAccess('people.revokeConfirm', endpoints.revoke);
  const remove = endAccess('people.removeConfirm', endpoints.remove);

  const people = view.participants.filter((p) => !p.removed);
  return (
    <section className="panel" aria-labelledby="people-h">
      <h2 id="people-h">{t('people.title')}</h2>
      <ul className="plain-list people">
        {people.map((p) => {
          const where = whereIs(state, view, p.id);
          const status = inv.find((i) => i.participantId === p.id);
          const link = links[p.id];
          const isMe = p.id === view.me.participantId;
          return (
            <li key={p.id} className="person">
              <div className="person-line">
                <span className={`dot ${where.online || isMe ? 'dot-on' : 'dot-off'}`} aria-hidden="true" />
                <span className="person-name">{isMe ? t('people.youAre', { name: p.displayName }) : p.displayName}</span>
                <span className="muted small">{p.role === 'mediator' ? t('role.mediator') : p.role === 'observer' ? t('role.observer') : sideName(view, p.sideId)}</span>
              </div>
              <div className="person-line person-sub">
                <span className="small">{isMe ? t('people.online') : where.text}</span>
                {status ? <Badge tone={STATUS[status.status].tone}>{t(STATUS[status.status].key)}</Badge> : null}
              </div>
              {p.role !== 'mediator' ? (
                <div className="actions person-actions">
                  {link && status?.status !== 'revoked' && status?.status !== 'accepted' ? <CopyButton text={link} label={t('people.copyFor', { name: p.displayName })} /> : null}
                  <Button small variant="quiet" onClick={() => reissue(p.id)} busy={act.busy} ariaLabel={t('people.reissueFor', { name: p.displayName })}>
                    {t('people.reissue')}
                  </Button>
                  {status && status.status !== 'revoked' && status.status !== 'none' ? (
                    <Button small variant="quiet" onClick={() => revoke(p.id, p.displayName)} busy={act.busy} ariaLabel={t('people.revokeFor', { name: p.displayName })}>
                      {t('people.revoke')}
                    </Button>
                  ) : null}
                  <Button small variant="quiet" onClick={() => remove(p.id, p.displayName)} busy={act.busy} ariaLabel={t('people.removeFor', { name: p.displayName })}>
                    {t('people.remove')}
                  </Button>
                </div>
              ) : !isMe ? (
                <div className="actions person-actions">
                  <Button small variant="quiet" onClick={() => remove(p.id, p.displayName)} busy={act.busy} ariaLabel={t('people.removeFor', { name: p.displayName })}>
                    {t('people.remove')}
                  </Button>
                </div>
              ) : null}
              {link && status?.status === 'pending' ? (
                <p className="link-text small" aria-label={t('people.linkFor', { name: p.displayName })}>
                  {link}
                </p>
              ) : null}
            </li>
          );
        })}
      </ul>
      {act.error ? <Notice kind="error">{act.error}</Notice> : null}
    </section>
  );
}
