import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAnchorStore } from '../../shared/adapters/dynamo-anchor-store';
import { dynamoDocumentClient } from '../../shared/adapters/dynamo-client';
import { DynamoLogStore } from '../../shared/adapters/dynamo-log-store';
import { DynamoNotarizationStore } from '../../shared/adapters/dynamo-notarization-store';
import { HttpTimeStampClient } from '../../shared/adapters/http-timestamp-client';
import { LocalSigner } from '../../shared/adapters/local-signer';
import { Anchoring, type ExternalTsa } from '../../shared/core/anchoring';
import { Integrator } from '../../shared/core/integrator';
import { type Receipt, ReceiptError, verifyReceipt } from '../../shared/core/receipt';
import { verifyAnchor } from '../../shared/core/receipt-anchor';
import { Transparency } from '../../shared/core/transparency';
import { localDynamoClient } from '../../shared/local/local-clients';
import { createTable } from '../../shared/local/provision';
import { anchorsTable, logTable, notarizationsTable } from '../../shared/tables';
import { type OpensslTsa, startOpensslTsa } from '../support/openssl-tsa';

const ORIGIN = 'stempel.test/anchoring';
const run = promisify(execFile);

/**
 * External anchors against two real third-party TSAs (OpenSSL's `ts -reply`
 * over HTTP): checkpoints time-stamped by them, stored beside the log, and
 * receipts completed with the earliest anchor covering their entry, whose
 * time bound verifies under each TSA's own root.
 */
describe('anchoring the log with external RFC 3161 TSAs', () => {
  let first: OpensslTsa;
  let second: OpensslTsa;
  let tsas: ExternalTsa[];
  let clock = new Date('2026-11-26T12:00:00.000Z');
  const setup = {} as Awaited<ReturnType<typeof freshLog>>;

  async function freshLog() {
    const suffix = randomUUID().slice(0, 8);
    const client = localDynamoClient(process.env.AWS_ENDPOINT_URL_DYNAMODB as string);
    const names = {
      n: `an-notarizations-${suffix}`,
      log: `an-log-${suffix}`,
      anchors: `an-anchors-${suffix}`,
    };
    await createTable(client, notarizationsTable, names.n);
    await createTable(client, logTable, names.log);
    await createTable(client, anchorsTable, names.anchors);
    const db = dynamoDocumentClient();
    const notarizations = new DynamoNotarizationStore(db, names.n);
    const store = new DynamoLogStore('notary', db, names.log, names.n);
    const anchors = new DynamoAnchorStore(ORIGIN, db, names.anchors);
    const signer = new LocalSigner(join(mkdtempSync(join(tmpdir(), 'stempel-an-')), 'log.pem'));
    const integrator = new Integrator(store, signer, { origin: ORIGIN });
    const transparency = new Transparency(store, signer, ORIGIN, anchors);
    const anchoring = new Anchoring(
      store,
      anchors,
      new HttpTimeStampClient(2000),
      async () => ({ tsas, intervalSeconds: 600 }),
      () => clock,
      10,
    );
    const verifierKey = (await transparency.key()).verifierKey;
    const notarize = async (sha256 = randomBytes(32).toString('hex')) => {
      const { notarization } = await notarizations.createOnce({
        id: randomUUID(),
        owner: randomUUID(),
        sha256,
        receivedAt: new Date().toISOString(),
        status: 'pending',
      });
      await integrator.drain();
      return (await notarizations.get(notarization.id)) as NonNullable<
        Awaited<ReturnType<typeof notarizations.get>>
      >;
    };
    return { anchors, transparency, anchoring, verifierKey, notarize };
  }

  beforeAll(async () => {
    [first, second] = await Promise.all([startOpensslTsa(), startOpensslTsa()]);
    tsas = [
      { name: 'first', url: first.url },
      { name: 'second', url: second.url },
    ];
    Object.assign(setup, await freshLog());
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  it('anchors the latest checkpoint with every TSA; a receipt then proves its time under each root', async () => {
    const { anchoring, transparency, verifierKey, notarize } = setup;
    const early = await notarize();
    expect(await transparency.receipt(early)).not.toHaveProperty('anchor');

    const run = await anchoring.run();
    expect(run).toEqual({ size: 1, anchored: ['first', 'second'], failed: [] });
    // Nothing new to anchor: the TSAs are not asked again.
    expect(await anchoring.run()).toEqual({ anchored: [], failed: [] });
    expect([first.answered(), second.answered()]).toEqual([1, 1]);

    const later = await notarize();
    const receipt = (await transparency.receipt(early)) as Receipt;
    expect(receipt.treeSize).toBe(2);
    expect(receipt.anchor?.timestamps.map((t) => t.tsa).sort()).toEqual(['first', 'second']);
    verifyReceipt(early.sha256, receipt, verifierKey);
    const bound = verifyAnchor(receipt, verifierKey, [first.caPem]);
    expect(bound).toMatchObject({
      tsa: 'first',
      tsaSubject: expect.stringContaining('External TSA'),
      anchoredSize: 1,
    });
    expect(bound.notAfter.getTime()).toBeGreaterThanOrEqual(bound.genTime.getTime());
    expect(Math.abs(bound.genTime.getTime() - Date.now())).toBeLessThan(60_000);
    // Under the other TSA's root only that TSA's token counts; under an unrelated root none does.
    expect(verifyAnchor(receipt, verifierKey, [second.caPem]).tsa).toBe('second');
    const stranger = await startOpensslTsa();
    try {
      expect(() => verifyAnchor(receipt, verifierKey, [stranger.caPem])).toThrow(/no external token/);
    } finally {
      await stranger.stop();
    }
    // The newer entry is not covered yet: its receipt has no anchor.
    expect(await transparency.receipt(later)).not.toHaveProperty('anchor');
  });

  it('catches an anchor that was tampered with', async () => {
    const { transparency, verifierKey, notarize } = setup;
    const entry = await notarize();
    clock = new Date(clock.getTime() + 3600_000);
    await setup.anchoring.run();
    const receipt = (await transparency.receipt(entry)) as Receipt;
    expect(verifyAnchor(receipt, verifierKey, [first.caPem])).toBeDefined();
    const anchor = receipt.anchor as NonNullable<Receipt['anchor']>;
    const failure = (changed: Receipt) => {
      try {
        verifyAnchor(changed, verifierKey, [first.caPem, second.caPem]);
      } catch (err) {
        expect(err).toBeInstanceOf(ReceiptError);
        return (err as Error).message;
      }
      throw new Error('the tampered anchor verified');
    };
    // Another note body under the same signature.
    expect(
      failure({
        ...receipt,
        anchor: { ...anchor, checkpoint: anchor.checkpoint.replace(/\n\d+\n/, '\n7\n') },
      }),
    ).toMatch(/anchored checkpoint/);
    // A token from another checkpoint (the first anchor's) does not cover this one.
    const older = (await transparency.receipt(await notarize())) as Receipt;
    const swapped = { ...anchor, timestamps: (older.anchor ?? anchor).timestamps };
    if (older.anchor && older.anchor.checkpoint !== anchor.checkpoint)
      expect(failure({ ...receipt, anchor: swapped })).toMatch(/no external token/);
    // A token with one byte changed.
    const token = Buffer.from((anchor.timestamps[0] as { token: string }).token, 'base64');
    token.writeUInt8((token.at(-10) as number) ^ 1, token.length - 10);
    expect(
      failure({
        ...receipt,
        anchor: { ...anchor, timestamps: [{ tsa: 'first', token: token.toString('base64') }] },
      }),
    ).toMatch(/no external token/);
  });

  it('retries a failing TSA, reports it, and completes the anchor once the TSA is back', async () => {
    const { anchoring, notarize, anchors } = setup;
    await notarize();
    clock = new Date(clock.getTime() + 3600_000);
    second.setDown(true);
    const before = second.answered();
    const run = await anchoring.run();
    expect(run.anchored).toEqual(['first']);
    expect(run.failed).toEqual([{ tsa: 'second', error: expect.stringContaining('503') }]);
    expect(second.answered()).toBe(before); // refused before reaching openssl, three times
    const latest = await anchors.latest();
    expect(latest?.tokens.map((t) => t.tsa)).toEqual(['first']);

    second.setDown(false);
    const retried = await anchoring.run();
    expect(retried).toEqual({ size: latest?.size, anchored: ['second'], failed: [] });
    expect((await anchors.latest())?.tokens.map((t) => t.tsa).sort()).toEqual(['first', 'second']);
  });

  it('stempel verify --anchor-ca reports the proven time bound, and names the anchor when it fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stempel-an-cli-'));
    const document = randomBytes(300);
    writeFileSync(join(dir, 'doc.bin'), document);
    const entry = await setup.notarize(createHash('sha256').update(document).digest('hex'));
    clock = new Date(clock.getTime() + 3600_000);
    await setup.anchoring.run();
    writeFileSync(join(dir, 'doc.json'), JSON.stringify(await setup.transparency.receipt(entry)));
    writeFileSync(join(dir, 'first.pem'), first.caPem);
    const unrelated = spawnSync('openssl', [
      ...[
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=Unrelated',
      ],
      ...['-keyout', join(dir, 'unrelated.key'), '-out', join(dir, 'unrelated.pem'), '-days', '1'],
    ]);
    expect(unrelated.status).toBe(0);
    const cli = (...ca: string[]) =>
      run(
        process.execPath,
        [
          ...[
            'dist/stempel.mjs',
            'verify',
            join(dir, 'doc.bin'),
            join(dir, 'doc.json'),
            '--key',
            setup.verifierKey,
          ],
          ...ca.flatMap((c) => ['--anchor-ca', join(dir, c)]),
        ],
        { encoding: 'utf8' },
      ).then(
        ({ stdout }) => ({ code: 0, out: stdout }),
        (err: { code: number; stdout: string; stderr: string }) => ({
          code: err.code,
          out: err.stdout + err.stderr,
        }),
      );
    const checked = await cli('first.pem');
    expect(checked.out).toMatch(
      /existed no later than \d{4}-\d\d-\d\dT[\d:.]+Z: anchored in the checkpoint of \d+ entries, time-stamped by CN=External TSA \(test\) \(first\)/,
    );
    expect(checked.code).toBe(0);
    const unchecked = await cli();
    expect(unchecked.out).toContain('give --anchor-ca');
    const refused = await cli('unrelated.pem');
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('FAILED: external anchor: no external token');
  });
});
