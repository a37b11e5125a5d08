import { readFile } from 'node:fs/promises';
import type { BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser } from '../support/browser';
import { adminToken, apiUrl, call, uniqueName } from '../support/http';

const SHOTS = 'test-results/console';
// How long the UI may take to show an answer (a shared, busy CI machine), not a performance bound.
const WAIT = { timeout: 30_000 };

let chromium: { browser: BrowserContext; close: () => Promise<void> };
let page: Page;
let admin: string;
const cspViolations: string[] = [];

const downloaded = async (download: Download) => {
  const path = await download.path();
  return readFile(path, 'utf8');
};

beforeAll(async () => {
  // The shared test runtime serves the console (web/dist, built by the global setup) as npm start does.
  chromium = await launchBrowser();
  page = await chromium.browser.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  admin = await adminToken();
});

afterAll(async () => {
  await chromium?.close();
});

describe('the console administration pages', () => {
  const username = uniqueName('console');
  let userId = '';

  it('signs the bootstrap admin in through the sign-in page', async () => {
    await page.goto(`${apiUrl()}/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(inject('adminPassword'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Users' }).waitFor();
  });

  it('creates a user whose one-time password signs in through the API', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    const create = page.getByRole('region', { name: 'New user' });
    await create.getByRole('textbox', { name: 'Username' }).fill(username);
    await create.getByRole('checkbox', { name: 'Verifier' }).check();
    const answer = page.waitForResponse(
      (r) => r.url().endsWith('/v1/admin/users') && r.request().method() === 'POST',
    );
    await create.getByRole('button', { name: 'Create user' }).click();
    const created = await (await answer).json();
    userId = created.user.id;

    const dialog = page.getByRole('dialog', { name: `User ${username} created` });
    await dialog.waitFor();
    await dialog.getByText('shown only now').waitFor();
    const password = (await dialog.locator('output').textContent())?.trim() ?? '';
    expect(password).toBe(created.temporaryPassword);
    await page.screenshot({ path: `${SHOTS}/admin-users-created.png`, fullPage: true });

    const login = await call('POST', '/v1/auth/login', {
      body: { username, password },
      // A formula as user agent: the audit CSV below must neutralise it.
      headers: { 'user-agent': '=1+2' },
    });
    expect(login.status).toBe(200);
    expect(login.body.mustChangePassword).toBe(true);

    await dialog.getByRole('button', { name: 'I have passed it on: close' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row', { name: new RegExp(username) });
    await row.getByRole('cell', { name: 'Uploader, Verifier' }).waitFor();
  });

  it('changes the roles and disables the user, as the API confirms', async () => {
    await page.getByRole('button', { name: `Manage ${username}` }).click();
    const panel = page.getByRole('region', { name: `Manage ${username}` });
    await panel.getByRole('checkbox', { name: 'Uploader' }).uncheck();
    await panel.getByRole('checkbox', { name: 'Auditor' }).check();
    await panel.getByRole('button', { name: 'Save roles' }).click();
    await page.getByText(`The roles of ${username} were saved.`).waitFor();
    const roles = (await call('GET', `/v1/admin/users/${userId}`, { token: admin })).body.roles;
    expect([...roles].sort()).toEqual(['auditor', 'verifier']);

    await panel.getByRole('button', { name: 'Disable' }).click();
    const confirm = page.getByRole('dialog', { name: `Disable ${username}?` });
    // The dialog's focus starts on Cancel: Enter alone must not disable anyone.
    await expect.poll(() => confirm.locator(':focus').textContent(), WAIT).toBe('Cancel');
    await confirm.getByRole('button', { name: 'Disable' }).click();
    await page.getByText(`${username} was disabled.`).waitFor();
    await confirm.waitFor({ state: 'detached' });
    const user = await call('GET', `/v1/admin/users/${userId}`, { token: admin });
    expect(user.body.disabled).toBe(true);
    await panel.getByRole('button', { name: 'Enable' }).waitFor();
  });

  it("shows the API's problem plainly: a taken username is refused", async () => {
    const create = page.getByRole('region', { name: 'New user' });
    await create.getByRole('textbox', { name: 'Username' }).fill(username);
    await create.getByRole('checkbox', { name: 'Uploader' }).check();
    const answer = page.waitForResponse(
      (r) => r.url().endsWith('/v1/admin/users') && r.request().method() === 'POST',
    );
    await create.getByRole('button', { name: 'Create user' }).click();
    expect((await answer).status()).toBe(409);
    await create.getByRole('alert').getByText('That username is already taken.').waitFor();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  it('shows the user.create event in the audit trail, filters it and exports the CSV', async () => {
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
    const filters = page.getByRole('form', { name: 'Filters' });
    await filters.getByRole('textbox', { name: 'Target' }).fill(`user:${userId}`);
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    const table = page.getByRole('table', { name: 'Audit events, newest first' });
    await expect.poll(() => table.getByRole('rowheader', { name: 'user.create' }).count(), WAIT).toBe(1);
    await expect.poll(() => table.getByRole('rowheader', { name: 'user.disable' }).count(), WAIT).toBe(1);
    await expect
      .poll(() => table.getByRole('rowheader', { name: 'user.update_roles' }).count(), WAIT)
      .toBe(1);

    await filters.getByRole('textbox', { name: 'Action' }).fill('user.create');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => table.getByRole('rowheader', { name: 'user.disable' }).count(), WAIT).toBe(0);
    await expect.poll(() => table.getByRole('row').count(), WAIT).toBe(2);
    await page.screenshot({ path: `${SHOTS}/admin-audit.png`, fullPage: true });

    // Every event of the user, exported: the filtered trail as the API pages it.
    await filters.getByRole('textbox', { name: 'Action' }).fill('');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => table.getByRole('rowheader', { name: 'user.disable' }).count(), WAIT).toBe(1);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const csv = await downloaded(await download);

    const lines = csv.trimEnd().split('\r\n');
    await page.getByText(`Export done. Events: ${lines.length - 1}.`).waitFor();
    expect(lines[0]).toBe(
      'id,at,action,actor,target,outcome,reason,requestId,logIndex,sealedAt,erasedAt,changes,sourceIp,userAgent,usernames',
    );
    const api = await call('GET', `/v1/audit/events?target=user:${userId}&limit=100`, { token: admin });
    const ids = api.body.items.map((e: { id: string }) => e.id);
    for (const id of ids) expect(csv).toContain(id);
    const actions = lines.slice(1).map((line) => line.split(',')[2]);
    expect(actions).toEqual(expect.arrayContaining(['user.create', 'user.update_roles', 'user.disable']));
    // The user's sign-in above, with a formula as its user agent: the cell comes out as text.
    const login = api.body.items.find(
      (e: { personal?: { userAgent?: string } }) => e.personal?.userAgent === '=1+2',
    );
    expect(login?.action).toBe('auth.login');
    const loginLine = lines.find((line) => line.startsWith(login.id));
    expect(loginLine).toContain(",'=1+2,");
    expect(csv).not.toMatch(/(^|,)=1\+2/m);
  });

  it('shows the key figures as charts and a table, and downloads the CSV reports', async () => {
    await page.getByRole('link', { name: 'Reports' }).click();
    const answer = page.waitForResponse((r) => r.url().includes('/v1/reports/kpis?'));
    const report = await (await answer).json();
    const table = page.getByRole('table', { name: 'Key figures per period, with totals' });
    await expect.poll(() => table.getByRole('row').count(), WAIT).toBe(report.periods.length + 2);
    const last = report.periods[report.periods.length - 1];
    const lastRow = table.getByRole('row', { name: new RegExp(`^${last.period}`) });
    await expect
      .poll(() => lastRow.getByRole('cell').first().textContent(), WAIT)
      .toBe(String(last.notarizations));
    const totalNotarizations = report.periods.reduce(
      (sum: number, p: { notarizations: number }) => sum + p.notarizations,
      0,
    );
    await expect
      .poll(
        () =>
          table
            .getByRole('row', { name: /^Total/ })
            .getByRole('cell')
            .first()
            .textContent(),
        WAIT,
      )
      .toBe(totalNotarizations.toLocaleString('en-US'));
    // Both charts draw on a canvas, and each names the table as its text alternative.
    const charts = page.getByRole('img', { name: /per period|adoption/ });
    await expect.poll(() => charts.count(), WAIT).toBe(2);
    await expect.poll(() => page.locator('.admin-chart canvas').count(), WAIT).toBe(2);
    expect(await charts.first().getAttribute('aria-describedby')).toBe(await table.getAttribute('id'));
    await page.screenshot({ path: `${SHOTS}/admin-reports.png`, fullPage: true });

    const kpis = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Key figures (CSV)' }).click();
    const kpiCsv = await downloaded(await kpis);
    const kpiLines = kpiCsv.trimEnd().split(/\r?\n/);
    expect(kpiLines).toHaveLength(report.periods.length + 1);
    expect(kpiLines[0]).toContain('notarizations');
    expect(kpiLines.at(-1)).toContain(last.period);

    const notarizations = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Notarizations in this period (CSV)' }).click();
    const notarizationCsv = await downloaded(await notarizations);
    expect(notarizationCsv.split(/\r?\n/)[0]).toBe(
      'id,kind,owner,sha256,name,receivedAt,status,logIndex,sealedAt,fileSize',
    );
    await page.getByText('The download is ready.').waitFor();
  });

  it("exports the user's data and erases them behind a typed confirmation", async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: `Manage ${username}` }).click();
    const panel = page.getByRole('region', { name: `Manage ${username}` });

    const download = page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Export data (JSON)' }).click();
    const exported = JSON.parse(await downloaded(await download));
    expect(exported.user).toMatchObject({ id: userId, username, disabled: true });
    expect(exported.auditEvents.length).toBeGreaterThan(0);

    await panel.getByRole('button', { name: 'Erase person' }).click();
    const confirm = page.getByRole('dialog', { name: `Erase ${username} and their personal data?` });
    const erase = confirm.getByRole('button', { name: 'Erase person' });
    expect(await erase.isDisabled()).toBe(true);
    await confirm.getByRole('textbox', { name: `Type “${username}” to confirm` }).fill(`${username}x`);
    expect(await erase.isDisabled()).toBe(true);
    await confirm.getByRole('textbox', { name: `Type “${username}” to confirm` }).fill(username);
    await page.screenshot({ path: `${SHOTS}/admin-users-erase.png`, fullPage: true });
    await erase.click();
    await page.getByText(new RegExp(`^${username} was erased`)).waitFor();
    await page.getByRole('row', { name: new RegExp(username) }).waitFor({ state: 'detached' });
    expect((await call('GET', `/v1/admin/users/${userId}`, { token: admin })).status).toBe(404);
  });

  it('speaks German on the admin pages', async () => {
    await page.getByRole('combobox', { name: 'Language' }).selectOption('de');
    await page.getByRole('heading', { name: 'Benutzer', level: 1 }).waitFor();
    await page
      .getByRole('region', { name: 'Neuer Benutzer' })
      .getByRole('button', { name: 'Benutzer anlegen' })
      .waitFor();
    await page.getByRole('combobox', { name: 'Sprache' }).selectOption('en');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  });

  it('ran under the strict CSP without a violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
