import { randomUUID } from 'node:crypto';
import type { Notarization, NotarizationStore } from '../ports/notarization-store';
import type { TsaSigner } from '../ports/tsa-signer';
import type { AuditEvent } from './audit-event';
import type { Principal } from './roles';
import {
  grantedResponse,
  issueTimeStamp,
  parseTimeStampRequest,
  randomSerialNumber,
  rejectTimeStamp,
  type TimeStampRequest,
  timeStampRequest,
} from './tsa';

export interface TimeStampPolicy {
  readonly policyOid: string;
  readonly accuracyMillis: number;
}

export interface StampOutcome {
  /** The DER TimeStampResp: a token, or an RFC 3161 rejection. */
  readonly response: Uint8Array;
  /** The log entry of the token, when one was granted. */
  readonly entryId?: string;
  /** This call issued the token (and wrote its entry and audit event), rather than finding one. */
  readonly issued?: boolean;
}

/** The parts of the notary the TSA relies on: who may see a notarization, and back-pressure. */
export interface NotaryAccess {
  get(principal: Principal, id: string): Promise<Notarization>;
  admit(): Promise<void>;
}

/**
 * Stempel's RFC 3161 time-stamp authority. Every token it hands out is first
 * stored as an entry of the notarization log (type `timestamp`: the token's
 * SHA-256, its serial number, genTime as the entry's time, the caller as
 * owner), so the log lists every token ever issued and a token the log does
 * not hold was not issued by this TSA. A token is returned only once its
 * entry is stored: a crash before that leaves a token nobody has.
 */
export class TimeStampAuthority {
  constructor(
    private readonly store: NotarizationStore,
    private readonly notary: NotaryAccess,
    private readonly signer: TsaSigner,
    private readonly policy: () => Promise<TimeStampPolicy>,
    /** genTime: the clock of the function that signs (see README, "Honest time"). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Answers a DER TimeStampReq from `principal` (POST /v1/tsa). */
  async stamp(
    principal: Principal,
    requestDer: Uint8Array,
    /** The audit event of issuing the token (its log entry id given), written with the entry. */
    audit?: (entryId: string) => AuditEvent | undefined,
  ): Promise<StampOutcome> {
    const { policyOid, accuracyMillis } = await this.policy();
    const parsed = parseTimeStampRequest(requestDer, { policyOid });
    if (!parsed.ok) return { response: rejectTimeStamp(parsed.failure, parsed.reason) };
    await this.notary.admit();
    const issued = await this.issue(principal.userId, parsed.request, { policyOid, accuracyMillis });
    await this.store.createTimestamp(issued.entry, undefined, audit?.(issued.entry.id));
    return { response: issued.response, entryId: issued.entry.id, issued: true };
  }

  /**
   * A token for a notarized document's SHA-256 (GET
   * /v1/notarizations/{id}/timestamp): issued on the first request and kept,
   * so every later request, and concurrent ones, get that same token.
   */
  async forNotarization(
    principal: Principal,
    id: string,
    audit?: () => AuditEvent | undefined,
  ): Promise<StampOutcome> {
    const notarization = await this.notary.get(principal, id);
    const existing = await this.storedToken(notarization);
    if (existing) return existing;
    await this.notary.admit();
    const { request } = timeStampRequest({
      hashAlgorithm: 'SHA-256',
      hashedMessage: Buffer.from(notarization.sha256, 'hex'),
      certReq: true,
    });
    // The token's entry belongs to the notarization's owner, whoever asked for it.
    const issued = await this.issue(notarization.owner, request, await this.policy());
    if ((await this.store.createTimestamp(issued.entry, notarization.id, audit?.())) === 'created')
      return { response: issued.response, entryId: issued.entry.id, issued: true };
    // Another request recorded its token first: that one is the notarization's (ours is never handed out).
    const winner = await this.storedToken(await this.notary.get(principal, id));
    if (!winner) throw new Error(`notarization ${id} has a token that cannot be read`);
    return winner;
  }

  private async storedToken(notarization: Notarization): Promise<StampOutcome | undefined> {
    if (!notarization.timestampId) return undefined;
    const entry = await this.store.get(notarization.timestampId);
    if (!entry?.timestamp) throw new Error(`the token of notarization ${notarization.id} is missing`);
    return { response: grantedResponse(entry.timestamp.token), entryId: entry.id };
  }

  private async issue(owner: string, request: TimeStampRequest, policy: TimeStampPolicy) {
    const serialNumber = randomSerialNumber();
    const issued = await issueTimeStamp({
      request,
      policyOid: policy.policyOid,
      serialNumber,
      genTime: this.now(),
      accuracy: accuracyOf(policy.accuracyMillis),
      signer: this.signer,
    });
    const entry: Notarization = {
      // Random: a token is never issued twice, and its id must not be guessable from its hash.
      id: randomUUID(),
      owner,
      sha256: issued.tokenSha256,
      receivedAt: issued.tstInfo.genTime.toISOString(),
      status: 'pending',
      timestamp: { serial: serialNumber.toString(16), token: issued.token },
    };
    return { response: issued.response, entry };
  }
}

/** Milliseconds as TSTInfo's Accuracy: whole seconds and the remaining millis. */
const accuracyOf = (millis: number) => {
  const seconds = Math.floor(millis / 1000);
  const rest = millis % 1000;
  return { ...(seconds > 0 ? { seconds } : {}), ...(rest > 0 ? { millis: rest } : {}) };
};
