import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventKey } from '../../shared/core/audit-export';
import { localName } from '../../shared/local/provision';
import { auditExportBucket } from '../../shared/tables';
import { adminToken, call, createUser, randomSha256 } from '../support/http';
import { cli } from '../support/tools';

/**
 * The audit export through the local runtime: API calls write events, the
 * integrator seals them, the export's stream trigger writes them to the
 * runtime's export bucket, and an auditor fetches and verifies the export
 * with the CLI against GET /v1/audit/key.
 */
describe('stempel audit fetch and verify, against the local runtime', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const url = `s3://${localName(auditExportBucket)}`;

  it('exports the events of API calls; the fetched export verifies', async () => {
    const admin = await adminToken();
    const auditor = await createUser(['auditor'], admin);
    const uploader = await createUser(['uploader'], admin);
    const created = await call('POST', '/v1/notarizations', {
      token: uploader.token,
      body: { sha256: randomSha256() },
    });
    expect(created.status).toBe(201);
    const key = (await call('GET', '/v1/audit/key')).body.verifierKey as string;

    // The uploader's notarization event, once sealed: where the export must put it.
    let expected: string | undefined;
    for (let attempt = 0; attempt < 100 && !expected; attempt++) {
      const page = await call('GET', `/v1/audit/events?actor=${uploader.id}&action=notarization.create`, {
        token: auditor.token,
      });
      const event = (page.body.items as { at: string; logIndex?: number }[])[0];
      if (event?.logIndex !== undefined) expected = eventKey(event.at, event.logIndex);
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(expected).toBeDefined();

    // Other tests write events meanwhile: fetch until the export holds ours and verifies (it catches up).
    let verdict = { code: -1, out: '' };
    for (let attempt = 0; attempt < 30 && verdict.code !== 0; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'stempel-cli-audit-'));
      dirs.push(dir);
      const fetched = await cli(['audit', 'fetch', url, dir]);
      // s3rver can answer 500 to a listing while other tests' events are being written: ask again.
      if (fetched.code !== 0) {
        expect(fetched.out).toContain('InternalError');
        verdict = fetched;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!existsSync(join(dir, expected as string))) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      expect(JSON.parse(readFileSync(join(dir, expected as string), 'utf8'))).toMatchObject({
        action: 'notarization.create',
        actor: uploader.id,
      });
      verdict = await cli(['audit', 'verify', dir, '--key', key]);
      if (verdict.code !== 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(verdict.out).toMatch(/^OK: \d+ events \(indices 0\.\.\d+\) against \d+ signed checkpoints\n/);
    expect(verdict.code).toBe(0);
  });
});
