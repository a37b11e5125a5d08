import type { Notarization, NotarizationStore, NotarizedFile } from '../ports/notarization-store';
import type { AuditEvent } from './audit-event';
import type { Cursors } from './cursors';
import { StempelError } from './errors';
import { notarizationId } from './notarization-id';
import { hasAnyRole, type Principal } from './roles';

/** Most notarizations of one hash that a verify call lists. */
export const VERIFY_LIMIT = 100;

export interface NotarizeInput {
  readonly sha256: string;
  readonly name?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly file?: NotarizedFile;
}

const notFound = () => new StempelError('not_found', 'notarization_not_found', 'No such notarization.');

export interface Backpressure {
  /** When the oldest notarization still waiting for the log was accepted, if any waits. */
  readonly oldestPending: () => Promise<Date | undefined>;
  /** Refuse new notarizations while the oldest pending one is older than this. */
  readonly maxLagSeconds: () => Promise<number>;
}

/** How long a refused client should wait before trying again. */
const RETRY_AFTER_SECONDS = 5;

/** Accepting notarizations and answering who may see them. */
export class Notary {
  constructor(
    private readonly store: NotarizationStore,
    private readonly cursors: Cursors,
    private readonly backpressure?: Backpressure,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Idempotent per owner and hash: a repeat returns the first notarization
   * with `created: false`. While the log lags too far behind (integrator down
   * or overwhelmed), new notarizations are refused with `log_backpressure`
   * (503 + Retry-After) rather than piling up unsealed.
   */
  async notarize(principal: Principal, input: NotarizeInput, audit?: (id: string) => AuditEvent | undefined) {
    await this.admit();
    return this.notarizeFor(principal.userId, input, audit);
  }

  /**
   * Notarizes for `owner` without asking the back-pressure check (the caller
   * did, before it began). `audit` gives the creation's audit event for the
   * notarization's id, written with it in one transaction.
   */
  async notarizeFor(owner: string, input: NotarizeInput, audit?: (id: string) => AuditEvent | undefined) {
    const sha256 = input.sha256.toLowerCase();
    const notarization: Notarization = {
      id: notarizationId(owner, sha256),
      owner,
      sha256,
      receivedAt: this.now().toISOString(),
      status: 'pending',
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
      ...(input.file === undefined ? {} : { file: input.file }),
    };
    return this.store.createOnce(notarization, audit?.(notarization.id));
  }

  /** Throws `log_backpressure` while the log lags too far behind to take more. */
  async admit(): Promise<void> {
    if (!this.backpressure) return;
    const [oldest, maxLag] = await Promise.all([
      this.backpressure.oldestPending(),
      this.backpressure.maxLagSeconds(),
    ]);
    if (oldest && this.now().getTime() - oldest.getTime() > maxLag * 1000) {
      throw new StempelError(
        'unavailable',
        'log_backpressure',
        'The log is catching up; try again shortly.',
        {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        },
      );
    }
  }

  /** Owners, verifiers and admins see a notarization; to anyone else it does not exist. */
  async get(principal: Principal, id: string): Promise<Notarization> {
    const notarization = await this.store.get(id);
    if (!notarization) throw notFound();
    if (notarization.owner !== principal.userId && !hasAnyRole(principal, ['verifier', 'admin']))
      throw notFound();
    return notarization;
  }

  /** Admins list everything; anyone else only their own, so others' notarizations stay invisible. */
  async list(principal: Principal, limit: number, cursor?: string) {
    const all = hasAnyRole(principal, ['admin']);
    const binding = { listing: all ? 'notarizations:all' : 'notarizations:own', caller: principal.userId };
    const position = await this.cursors.open(cursor, binding);
    const page = all
      ? await this.store.listAll(limit, position)
      : await this.store.listByOwner(principal.userId, limit, position);
    return this.cursors.sealPage(page, binding);
  }

  async verify(sha256: string) {
    const found = await this.store.findBySha256(sha256.toLowerCase(), VERIFY_LIMIT);
    return {
      sha256: sha256.toLowerCase(),
      notarized: found.length > 0,
      notarizations: found.map(({ id, receivedAt, status }) => ({ id, receivedAt, status })),
    };
  }
}

/** A notarization as the API shows it: where its file is stored, and a token's bytes, stay inside. */
export function notarizationView(notarization: Notarization) {
  const { file, timestamp, ...rest } = notarization;
  return {
    ...rest,
    ...(file ? { file: { size: file.size, contentType: file.contentType } } : {}),
    ...(timestamp ? { timestamp: { serial: timestamp.serial } } : {}),
  };
}
