import { createHash, randomBytes } from 'node:crypto';
import type { AnchorStore } from '../ports/anchor-store';
import type { LogStore } from '../ports/log-store';
import type { TimeStampClient } from '../ports/timestamp-client';
import { timeStampRequest } from './tsa';
import { tokenCertificates, tokenFromResponse, verifyTimeStampToken } from './tsa-verify';

export interface ExternalTsa {
  readonly name: string;
  readonly url: string;
}

export interface AnchoringConfig {
  readonly tsas: readonly ExternalTsa[];
  readonly intervalSeconds: number;
}

export interface AnchoringResult {
  /** The checkpoint's tree size that was anchored (or completed), if any. */
  readonly size?: number;
  readonly anchored: readonly string[];
  readonly failed: readonly { readonly tsa: string; readonly error: string }[];
}

const ATTEMPTS = 3;
const BACKOFF_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Anchors the log in time kept by others: time-stamps the latest signed
 * checkpoint (the SHA-256 of the whole note) with each configured external
 * RFC 3161 TSA and stores the tokens beside it. A token proves the
 * checkpoint, and so every entry below its size, existed no later than the
 * token's genTime, under a clock Stempel does not control. Runs on a
 * schedule; anchors a new checkpoint when the log has grown and the interval
 * has passed, and first completes the latest anchor for a TSA that failed on
 * it. A TSA that keeps failing is reported (and alarmed), never in the way of
 * notarizing: this runs apart from the integrator.
 */
export class Anchoring {
  constructor(
    private readonly log: Pick<LogStore, 'head'>,
    private readonly anchors: AnchorStore,
    private readonly client: TimeStampClient,
    private readonly config: () => Promise<AnchoringConfig>,
    private readonly now: () => Date = () => new Date(),
    private readonly backoffMs = BACKOFF_MS,
  ) {}

  async run(): Promise<AnchoringResult> {
    const { tsas, intervalSeconds } = await this.config();
    const head = await this.log.head();
    if (tsas.length === 0 || !head || head.size === 0) return { anchored: [], failed: [] };
    const latest = await this.anchors.latest();

    let target: { size: number; checkpoint: string; at: string };
    let due: readonly ExternalTsa[];
    const missing = latest ? tsas.filter((t) => !latest.tokens.some((k) => k.tsa === t.name)) : tsas;
    const waited = latest ? this.now().getTime() - Date.parse(latest.anchoredAt) : Number.POSITIVE_INFINITY;
    if (latest && (head.size === latest.size || waited < intervalSeconds * 1000)) {
      // Not time for a new checkpoint: complete the latest one for a TSA that failed on it.
      target = { size: latest.size, checkpoint: latest.checkpoint, at: latest.anchoredAt };
      due = missing;
    } else {
      target = { size: head.size, checkpoint: head.checkpoint, at: this.now().toISOString() };
      due = tsas;
    }
    if (due.length === 0) return { anchored: [], failed: [] };

    const digest = new Uint8Array(createHash('sha256').update(target.checkpoint).digest());
    const outcomes = await Promise.all(
      due.map(async (tsa) => {
        try {
          const { token, genTime } = await this.stampWithRetries(tsa, digest);
          await this.anchors.addToken(target, { tsa: tsa.name, token, genTime: genTime.toISOString() });
          return { tsa: tsa.name };
        } catch (err) {
          return { tsa: tsa.name, error: (err as Error).message };
        }
      }),
    );
    return {
      size: target.size,
      anchored: outcomes.filter((o) => o.error === undefined).map((o) => o.tsa),
      failed: outcomes.flatMap((o) => (o.error === undefined ? [] : [{ tsa: o.tsa, error: o.error }])),
    };
  }

  private async stampWithRetries(tsa: ExternalTsa, digest: Uint8Array) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.stamp(tsa, digest);
      } catch (err) {
        if (attempt >= ATTEMPTS) throw err;
        await sleep(this.backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  /**
   * One token over `digest`, checked before it is stored: granted, over this
   * digest and nonce, and signed by the certificate it carries (whose
   * timeStamping EKU is checked). Whether that TSA is to be trusted is the
   * relying party's decision, with its own roots.
   */
  private async stamp(tsa: ExternalTsa, digest: Uint8Array) {
    const nonce = BigInt(`0x${randomBytes(8).toString('hex')}`);
    const { der } = timeStampRequest({
      hashAlgorithm: 'SHA-256',
      hashedMessage: digest,
      nonce,
      certReq: true,
    });
    const token = tokenFromResponse(await this.client.request(tsa.url, der));
    const certificates = tokenCertificates(token);
    const verified = verifyTimeStampToken(token, {
      trusted: certificates,
      imprint: { hashAlgorithm: 'SHA-256', hashedMessage: digest },
      nonce,
    });
    return { token, genTime: verified.genTime };
  }
}
