import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminToken, apiUrl, call, createUser, randomSha256 } from '../support/http';
import { cli } from '../support/tools';

/**
 * Reports over HTTP after a small scenario: the key figures of one uploader
 * (exact: other tests act in parallel, so totals are only bounded), the
 * notarizations CSV page by page, and every kind of bad request.
 */
describe('reports, end to end', () => {
  let admin: string;
  let uploader: Awaited<ReturnType<typeof createUser>>;
  const since = new Date(Date.now() - 1000).toISOString();
  const until = () => new Date(Date.now() + 60_000).toISOString();
  const ids: string[] = [];

  beforeAll(async () => {
    admin = await adminToken();
    uploader = await createUser(['uploader'], admin);
    const hashes = [randomSha256(), randomSha256(), randomSha256()];
    const names = ['plain.pdf', '=HYPERLINK("evil.example")', '+1-555-0100 @ home'];
    for (const [i, sha256] of hashes.entries()) {
      const res = await call('POST', '/v1/notarizations', {
        token: uploader.token,
        body: { sha256, name: names[i] },
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    // A repeat is no new notarization.
    expect(
      (await call('POST', '/v1/notarizations', { token: uploader.token, body: { sha256: hashes[0] } }))
        .status,
    ).toBe(200);
  });

  it("counts the uploader's notarizations exactly, from the audit stream", async () => {
    const query = new URLSearchParams({ from: since, to: until(), granularity: 'day' });
    let mine: { notarizations: number; logins: number } | undefined;
    // The counters follow the audit stream, which lags by seconds locally under the full suite's load.
    const deadline = Date.now() + 100_000;
    while (mine?.notarizations !== 3 && Date.now() < deadline) {
      const res = await call('GET', `/v1/reports/kpis?${query}`, { token: admin });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      mine = res.body.byUser.find((u: { userId: string }) => u.userId === uploader.id);
      if (mine?.notarizations !== 3) await new Promise((r) => setTimeout(r, 200));
    }
    expect(mine).toMatchObject({ notarizations: 3, logins: 1 });
    const res = await call('GET', `/v1/reports/kpis?${query}`, { token: admin });
    const today = res.body.periods.at(-1);
    expect(today.notarizations).toBeGreaterThanOrEqual(3);
    expect(today.users).toBeGreaterThanOrEqual(2);
    expect(today.twoFactorAdoptionPercent).toBeGreaterThanOrEqual(0);

    const kpiCsv = await call('GET', `/v1/reports/kpis.csv?${query}`, { token: admin });
    expect(kpiCsv.status).toBe(200);
    expect(kpiCsv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(String(kpiCsv.body).split('\r\n')[0]).toMatch(/^period,notarizations,verifications,/);
  });

  it('pages the notarizations CSV with a Link header, neutralising formula cells', async () => {
    const rows: string[] = [];
    let path: string | undefined =
      `/v1/reports/notarizations.csv?${new URLSearchParams({ owner: uploader.id, from: since, to: until(), limit: '2' })}`;
    let pages = 0;
    while (path) {
      const res = await call('GET', path, { token: admin });
      expect(res.status, String(res.body)).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      rows.push(...String(res.body).split('\r\n').filter(Boolean));
      path = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      pages++;
    }
    expect(pages).toBe(2);
    expect(rows[0]).toBe('id,kind,owner,sha256,name,receivedAt,status,logIndex,sealedAt,fileSize');
    expect(rows).toHaveLength(4);
    for (const id of ids) expect(rows.filter((r) => r.startsWith(`${id},`))).toHaveLength(1);
    expect(rows.join('\n')).toContain(`,"'=HYPERLINK(""evil.example"")",`);
    expect(rows.join('\n')).toContain(",'+1-555-0100 @ home,");

    // Every owner's: the same rows are among them (day by day from the byDay index).
    const all = await call(
      'GET',
      `/v1/reports/notarizations.csv?${new URLSearchParams({ from: since, to: until(), limit: '10000' })}`,
      { token: admin },
    );
    for (const id of ids) expect(String(all.body)).toContain(`${id},document,${uploader.id},`);
  });

  it('stempel report notarizations writes every page into one CSV file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stempel-report-'));
    const out = join(dir, 'notarizations.csv');
    const res = await cli(
      [
        'report',
        'notarizations',
        '--url',
        apiUrl(),
        '--from',
        since,
        '--to',
        until(),
        '--owner',
        uploader.id,
        '--page-size',
        '1',
        '--out',
        out,
      ],
      { STEMPEL_TOKEN: admin },
    );
    expect(res.out).toContain('wrote 3 notarizations');
    const lines = readFileSync(out, 'utf8').split('\r\n').filter(Boolean);
    expect(lines[0]).toMatch(/^id,kind,owner,/);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual([...ids].sort());
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers bad requests with 400 problems and other roles with 403', async () => {
    const kpis = (q: Record<string, string>) =>
      call('GET', `/v1/reports/kpis?${new URLSearchParams(q)}`, { token: admin });
    const now = new Date().toISOString();
    const cases: [Promise<{ status: number; body: { code: string } }>, string][] = [
      [kpis({ from: now, to: since }), 'invalid_range'],
      [kpis({ from: '2024-01-01T00:00:00Z', to: now }), 'invalid_range'],
      [kpis({ from: since, to: now, granularity: 'year' }), 'invalid_request'],
      [kpis({ from: 'yesterday', to: now }), 'invalid_request'],
      [kpis({ to: now }), 'invalid_request'],
      [
        call('GET', `/v1/reports/notarizations.csv?from=${since}&to=${now}&limit=10001`, { token: admin }),
        'invalid_request',
      ],
      [
        call('GET', `/v1/reports/notarizations.csv?from=2020-01-01T00:00:00Z&to=${now}`, { token: admin }),
        'invalid_range',
      ],
      [
        call('GET', `/v1/reports/notarizations.csv?from=${since}&to=${now}&cursor=forged.cursor`, {
          token: admin,
        }),
        'invalid_cursor',
      ],
    ];
    for (const [pending, code] of cases) {
      const res = await pending;
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.code).toBe(code);
    }
    // A cursor of one owner's report does not continue another's.
    const first = await call(
      'GET',
      `/v1/reports/notarizations.csv?${new URLSearchParams({ owner: uploader.id, from: since, to: until(), limit: '1' })}`,
      { token: admin },
    );
    const cursor = new URLSearchParams(
      (/<[^?]+\?([^>]+)>/.exec(first.headers.get('link') ?? '') ?? [])[1],
    ).get('cursor');
    expect(cursor).toBeTruthy();
    const replay = await call(
      'GET',
      `/v1/reports/notarizations.csv?${new URLSearchParams({ from: since, to: until(), limit: '1', cursor: cursor as string })}`,
      { token: admin },
    );
    expect(replay.status).toBe(400);
    expect(replay.body.code).toBe('invalid_cursor');
    const forbidden = await call('GET', `/v1/reports/kpis?from=${since}&to=${now}`, {
      token: uploader.token,
    });
    expect(forbidden.status).toBe(403);
  });
});
