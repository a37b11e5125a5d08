import { createHash, randomBytes, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * Audit events: what happened, by whom, to what, with which outcome. Each is
 * an entry of the audit log (a second Merkle log, its own origin and key).
 * The entry commits to the event's personal fields (source IP, user agent,
 * usernames) only through a salted hash, so erasing those fields and the salt
 * for a person leaves every proof valid: the log still holds the hash, and
 * without the salt nobody can test a guess against it.
 */

export type AuditOutcome = 'success' | 'failure';

/** Personal data of an event: kept beside it, erasable, never in the log or the export. */
export interface AuditPersonal {
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** Usernames the event names (the one tried at a failed login, the one created, …). */
  readonly usernames?: readonly string[];
}

/** What the caller records. */
export interface AuditInput {
  /** `auth.login`, `user.update_roles`, `notarization.create`, … (docs/audit.md lists them). */
  readonly action: string;
  /** The acting user's opaque id, or `anonymous`. */
  readonly actor: string;
  /** `user:<id>`, `notarization:<id>`, `upload:<id>`, `sha256:<hex>`, `settings`, or `-`. */
  readonly target: string;
  readonly outcome: AuditOutcome;
  /** A stable machine code for failures (`invalid_credentials`, `hash_mismatch`, …). */
  readonly reason?: string;
  /** From/to of changed non-personal fields (roles, disabled, …). */
  readonly changes?: Readonly<Record<string, { readonly from: unknown; readonly to: unknown }>>;
  readonly requestId: string;
  readonly personal: AuditPersonal;
}

/** An event as stored (the Audit table item, without its keys and log position). */
export interface AuditEvent extends Omit<AuditInput, 'personal'> {
  readonly id: string;
  /** RFC 3339 UTC with milliseconds. */
  readonly at: string;
  /** Erasable: absent once erased. */
  readonly personal?: AuditPersonal;
  /** Erasable: base64 of 32 random bytes; absent once erased. */
  readonly salt?: string;
  /** Hex SHA-256(salt ‖ RFC 8785 JSON of `personal`): what the log commits to. */
  readonly personalHash: string;
  /** The log leaf: RFC 8785 JSON (see {@link auditEntry}). */
  readonly entry: string;
}

/** The salted hash the log commits to in place of the personal fields. */
export function personalHash(salt: string, personal: AuditPersonal): string {
  return createHash('sha256')
    .update(Buffer.from(salt, 'base64'))
    .update(canonicalize(personal) ?? '{}')
    .digest('hex');
}

/**
 * The audit log's leaf: RFC 8785 JSON of
 * `{v:1, type:"audit", id, at, action, actor, target, outcome, reason?, changes?, requestId, personal:<hash>}`.
 */
export function auditEntry(event: Omit<AuditEvent, 'entry' | 'personal' | 'salt'>): string {
  const text = canonicalize({
    v: 1,
    type: 'audit',
    id: event.id,
    at: event.at,
    action: event.action,
    actor: event.actor,
    target: event.target,
    outcome: event.outcome,
    ...(event.reason === undefined ? {} : { reason: event.reason }),
    ...(event.changes === undefined ? {} : { changes: event.changes }),
    requestId: event.requestId,
    personal: event.personalHash,
  });
  if (text === undefined) throw new Error('the audit event is not serializable');
  return text;
}

/** A new event from what happened, at `now`; `id` is given only where a retry must find the same event. */
export function newAuditEvent(input: AuditInput, now: Date, id: string = randomUUID()): AuditEvent {
  const { personal, ...rest } = input;
  const salt = randomBytes(32).toString('base64');
  const base = {
    ...rest,
    id,
    at: now.toISOString(),
    personalHash: personalHash(salt, personal),
  };
  return { ...base, personal, salt, entry: auditEntry(base) };
}

/**
 * Builds the audit event of a change from what only the change knows, for
 * the store to write in the same transaction; undefined where the call is not
 * audited (tools, tests).
 */
export type AuditFor = (details?: AuditOverrides) => AuditEvent | undefined;

/** What only the operation knows; `action`, `outcome` and `reason` name an event other than the call's own. */
export type AuditOverrides = Partial<
  Pick<AuditInput, 'action' | 'actor' | 'target' | 'outcome' | 'reason' | 'changes'>
>;
