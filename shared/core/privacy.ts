import type { AuditStore, StoredAuditEvent } from '../ports/audit-store';
import type { LoginAttempts } from '../ports/login-attempts';
import type { Notarization, NotarizationStore } from '../ports/notarization-store';
import type { UserRecord, UserStore } from '../ports/user-store';
import type { AuditFor } from './audit-event';
import { StempelError } from './errors';
import type { Identity } from './identity';
import type { OwnerKeys } from './owner-keys';
import { toUserView } from './user-view';

/** The most notarizations one export lists; the CSV report (with `owner`) has them all. */
export const EXPORT_NOTARIZATIONS = 10_000;
const PAGE = 1000;
/** Audit events are looked up over all time: from before Stempel to a day ahead of the clock. */
const SINCE_EVER = '2000-01-01T00:00:00.000Z';

export interface PrivacyDeps {
  readonly users: Pick<UserStore, 'getById'>;
  readonly identity: Pick<Identity, 'deleteUser'>;
  readonly attempts: Pick<LoginAttempts, 'clearAll'>;
  readonly notarizations: Pick<NotarizationStore, 'listByOwner' | 'eraseDetails'>;
  readonly ownerKeys: Pick<OwnerKeys, 'destroy'>;
  readonly audit: Pick<AuditStore, 'query' | 'erasePersonal'>;
  readonly now?: () => Date;
}

/**
 * GDPR requests (docs/privacy.md): everything held about a person, and its
 * erasure. Erasure pseudonymises: the user's opaque id stays in the log
 * entries and notarizations (so every receipt still verifies), while the
 * username, sessions and 2FA go with the user item, document names and
 * metadata are removed, the owner's file key is destroyed (crypto-shredding),
 * and the personal fields of their audit events are erased.
 */
export class Privacy {
  private readonly now: () => Date;

  constructor(private readonly deps: PrivacyDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async exportUser(id: string) {
    const user = await this.requireUser(id);
    const notarizations: Notarization[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.notarizations.listByOwner(id, PAGE, cursor);
      notarizations.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && notarizations.length < EXPORT_NOTARIZATIONS);
    return {
      exportedAt: this.now().toISOString(),
      user: {
        ...toUserView(user),
        updatedAt: user.updatedAt,
        // Secrets are never handed out, not even to their owner: only whether they exist.
        hasPassword: true,
        otpPending: user.otpPendingSecret !== undefined,
        sessions: Object.values(user.sessions).map((s) => ({
          id: s.id,
          createdAt: new Date(s.createdAt).toISOString(),
          idleExpiresAt: new Date(s.idleExpiresAt * 1000).toISOString(),
          absoluteExpiresAt: new Date(s.absoluteExpiresAt * 1000).toISOString(),
        })),
      },
      notarizations: notarizations.slice(0, EXPORT_NOTARIZATIONS).map(({ timestamp: _t, ...n }) => n),
      notarizationsTruncated: cursor !== undefined || notarizations.length > EXPORT_NOTARIZATIONS,
      auditEvents: await this.auditEventsOf(id),
    };
  }

  /**
   * Erases the person. Each step can be run again, and the user item goes
   * last (with the erasure's audit event, in one transaction), so a crash
   * halfway is finished by asking again.
   */
  async eraseUser(id: string, audit?: AuditFor) {
    const user = await this.requireUser(id);
    await this.deps.ownerKeys.destroy(id);
    let detailsErased = 0;
    let cursor: string | undefined;
    do {
      const page = await this.deps.notarizations.listByOwner(id, PAGE, cursor);
      for (const n of page.items) if (await this.deps.notarizations.eraseDetails(n.id, id)) detailsErased++;
      cursor = page.nextCursor;
    } while (cursor);
    const auditEventsErased = await this.deps.audit.erasePersonal(id);
    await this.deps.attempts.clearAll(user.username);
    await this.deps.identity.deleteUser(id, audit);
    return {
      userId: id,
      erasedAt: this.now().toISOString(),
      fileKeyDestroyed: true,
      notarizationDetailsErased: detailsErased,
      auditEventsErased,
    };
  }

  private async auditEventsOf(id: string): Promise<StoredAuditEvent[]> {
    const to = new Date(this.now().getTime() + 86_400_000).toISOString();
    const events = new Map<string, StoredAuditEvent>();
    for (const filter of [{ actor: id }, { target: `user:${id}` }]) {
      let position: string | undefined;
      do {
        const page = await this.deps.audit.query({ ...filter, from: SINCE_EVER, to }, PAGE, position);
        for (const e of page.items) events.set(e.id, e);
        position = page.nextCursor;
      } while (position);
    }
    return [...events.values()].sort((a, b) => a.at.localeCompare(b.at));
  }

  private async requireUser(id: string): Promise<UserRecord> {
    const user = await this.deps.users.getById(id);
    if (!user) throw new StempelError('not_found', 'user_not_found', 'No such user.');
    return user;
  }
}
