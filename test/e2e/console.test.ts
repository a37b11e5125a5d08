import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import jsQR from 'jsqr';
import { generate } from 'otplib';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVerifierKey } from '../../shared/core/signed-note';
import { launchBrowser } from '../support/browser';
import { adminToken, apiUrl, call, uniqueName } from '../support/http';

const SHOTS = 'test-results/console';

// The page's DOM, as far as the functions this test runs in the page use it (the test runs in Node).
declare class DataTransfer {
  readonly items: { add(file: File): void };
}
declare class DragEvent extends Event {
  constructor(type: string, init: { bubbles: boolean; cancelable: boolean; dataTransfer: DataTransfer });
}
declare const window: { stillTheSamePage?: boolean };
declare class OffscreenCanvas {
  constructor(width: number, height: number);
  getContext(kind: '2d'): OffscreenCanvasRenderingContext2D | null;
}
interface OffscreenCanvasRenderingContext2D {
  fillStyle: string;
  fillRect(x: number, y: number, width: number, height: number): void;
  drawImage(image: CanvasImageSource, x: number, y: number, width: number, height: number): void;
  getImageData(x: number, y: number, width: number, height: number): { readonly data: ArrayLike<number> };
}
type CanvasImageSource = object;
declare const document: { readonly documentElement: { readonly lang: string } };
/** Sealing runs on the log's schedule; generous for a loaded machine. */
const SEAL_TIMEOUT_MS = 90_000;

const code = (secret: string, offset = 0) =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + offset * 30 });
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

/** Drops files on the page's drop zone as a user's drag from the desktop does: dragenter, dragover, drop. */
async function dropFiles(page: Page, files: { name: string; type: string; bytes: Buffer }[]) {
  const zone = page.getByTestId('drop-zone').first();
  await zone.evaluate(
    (element, dropped) => {
      const transfer = new DataTransfer();
      for (const f of dropped)
        transfer.items.add(
          new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }),
        );
      for (const type of ['dragenter', 'dragover', 'drop'])
        element.dispatchEvent(
          new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }),
        );
    },
    files.map((f) => ({ name: f.name, type: f.type, base64: f.bytes.toString('base64') })),
  );
}

describe('web console in Chromium', () => {
  let context: BrowserContext;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  let username: string;
  let temporaryPassword: string;
  const password = `${randomBytes(12).toString('base64url')}-Pw1`;
  let otpSecret: string;
  const documentBytes = Buffer.concat([Buffer.from('Stempel console test\n'), randomBytes(4096)]);
  const documentName = `${uniqueName('contract')}.bin`;
  let receipt: string;
  /** Uncaught errors and CSP refusals in the page, over the whole run. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    username = uniqueName('web');
    const created = await call('POST', '/v1/admin/users', {
      token: await adminToken(),
      body: { username, roles: ['uploader', 'verifier'] },
    });
    expect(created.status).toBe(201);
    temporaryPassword = created.body.temporaryPassword;
    ({ browser: context, close: closeBrowser } = await launchBrowser());
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await closeBrowser?.();
  });

  it('serves the console under the strict CSP', async () => {
    const res = await fetch(`${apiUrl()}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval'");
    const html = await res.text();
    // No inline script or style: the CSP would block them.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style="/);
  });

  it('signs in with the temporary password and forces a new one', async () => {
    await page.goto(`${apiUrl()}/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    await shot(page, 'login');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(temporaryPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Change your password' }).waitFor();
    await page.getByLabel('Current password').fill(temporaryPassword);
    await page.getByLabel('New password', { exact: true }).fill(password);
    await page.getByLabel('Repeat the new password').fill(password);
    await page.getByRole('button', { name: 'Change password' }).click();
    // An uploader lands on the notarize page.
    await page.getByRole('heading', { name: 'Notarize documents' }).waitFor();
  });

  it('enrols an authenticator app from the QR code page', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Account' }).click();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.getByLabel('Confirm with your password').fill(password);
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const qr = page.getByRole('img', { name: 'QR code for the authenticator app' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    otpSecret = (await page.locator('.otp-secret').textContent()) ?? '';
    expect(otpSecret).toMatch(/^[A-Z2-7]+=*$/);
    // What an authenticator app scans: the pixels of the QR code decode to this account's URI.
    const pixels = await qr.evaluate((img) => {
      const canvas = new OffscreenCanvas(400, 400);
      const context = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
      context.fillStyle = '#fff';
      context.fillRect(0, 0, 400, 400);
      context.drawImage(img as CanvasImageSource, 0, 0, 400, 400);
      return Array.from(context.getImageData(0, 0, 400, 400).data);
    });
    const decoded = jsQR(Uint8ClampedArray.from(pixels), 400, 400);
    expect(decoded?.data).toMatch(new RegExp(`^otpauth://totp/.*${username}.*secret=${otpSecret}`));
    await shot(page, 'otp-enrolment');
    await page.getByLabel('Code from the app').fill(await code(otpSecret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('Two-factor authentication is now on.').waitFor();
    const me = await call('POST', '/v1/auth/login', { body: { username, password } });
    expect(me.body.code).toBe('otp_required');
  });

  it('signs out, and signs in again with the second factor', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    await shot(page, 'login-otp');
    // The enrolment used this step's code; a code is accepted once.
    await page.getByLabel('One-time code').fill(await code(otpSecret, 1));
    await page.getByRole('button', { name: 'Verify code' }).click();
    // Back where the session ended.
    await page.getByRole('heading', { name: 'Account' }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Notarize' }).click();
    await page.getByRole('heading', { name: 'Notarize documents' }).waitFor();
  });

  it('notarizes a dropped file, which turns sealed without a reload', async () => {
    await page.evaluate(() => {
      window.stillTheSamePage = true;
    });
    await dropFiles(page, [{ name: documentName, type: 'application/octet-stream', bytes: documentBytes }]);
    const row = page.locator('tr', { hasText: sha256(documentBytes) });
    await row.waitFor();
    expect(await row.textContent()).toContain(documentName);
    await row.locator('[data-status="sealed"], .badge.sealed').first().waitFor({ timeout: SEAL_TIMEOUT_MS });
    await expect.poll(() => row.getAttribute('data-status')).toBe('sealed');
    expect(await page.evaluate(() => window.stillTheSamePage)).toBe(true);
    await shot(page, 'notarize');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: `Download the receipt of ${documentName}` }).click(),
    ]);
    receipt = readFileSync((await download.path()) as string, 'utf8');
    expect(JSON.parse(receipt).entry).toContain(sha256(documentBytes));
  });

  it('stores a dropped file through the presigned upload, checked and sealed', async () => {
    const stored = randomBytes(64 * 1024);
    const storedName = `${uniqueName('stored')}.bin`;
    await page.getByLabel('Also store the files (encrypted)').check();
    await dropFiles(page, [{ name: storedName, type: 'application/octet-stream', bytes: stored }]);
    const row = page.locator('tr', { hasText: sha256(stored) });
    await row.waitFor({ timeout: SEAL_TIMEOUT_MS });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: SEAL_TIMEOUT_MS }).toBe('sealed');
    expect(await row.textContent()).toContain(storedName);
    // The service holds the file, whose bytes it checked against the hash before notarizing.
    const id = (await row.getAttribute('data-id')) as string;
    const notarization = await call('GET', `/v1/notarizations/${id}`, { token: await adminToken() });
    expect(notarization.body.file).toMatchObject({ size: stored.length });
    await page.getByLabel('Also store the files (encrypted)').uncheck();
  });

  it('verifies the document against the pinned key, and names the part a tampered one fails', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Pin the announced key' }).click();
    const key = await call('GET', '/v1/log/key');
    expect(await page.getByTestId('pinned-key').textContent()).toBe(key.body.verifierKey);
    const verify = async (bytes: Buffer, receiptText: string) => {
      await page.getByLabel('Document', { exact: true }).setInputFiles({
        name: documentName,
        mimeType: 'application/octet-stream',
        buffer: bytes,
      });
      await page.getByLabel('Receipt (JSON)').setInputFiles({
        name: 'receipt.json',
        mimeType: 'application/json',
        buffer: Buffer.from(receiptText),
      });
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      // The verdict, or the error that kept it from being reached (its text then shows in the failure).
      const verdict = page.locator('[data-verdict], [role="status"] .error').first();
      await verdict.waitFor();
      return {
        verdict: await verdict.getAttribute('data-verdict'),
        part: await verdict.getAttribute('data-part'),
        text: await verdict.textContent(),
      };
    };
    const good = await verify(documentBytes, receipt);
    expect(good).toMatchObject({ verdict: 'ok' });
    await shot(page, 'verify');

    // As a verifier: the receipt comes from the service, and is checked here all the same.
    await page.getByRole('button', { name: 'Look up by hash' }).click();
    await page.locator('[data-verdict="ok"]').waitFor();

    const tampered = Buffer.from(documentBytes);
    tampered[0] = (tampered[0] as number) ^ 1;
    const bad = await verify(tampered, receipt);
    expect(bad).toMatchObject({ verdict: 'failed', part: 'document_mismatch' });
    expect(bad.text).toContain('Failed check: document hash');
    await shot(page, 'verify-failed');

    // A receipt whose checkpoint was signed by someone else: the signature check names itself.
    const parsed = JSON.parse(receipt);
    const forged = JSON.stringify({
      ...parsed,
      checkpoint: parsed.checkpoint.replace(
        / (\S{12})(\S)/,
        (_: string, head: string, c: string) => ` ${head}${c === 'A' ? 'B' : 'A'}`,
      ),
    });
    const forgedResult = await verify(documentBytes, forged);
    expect(forgedResult).toMatchObject({ verdict: 'failed', part: 'signature' });
  });

  it('verifies without an account, from the sign-in page', async () => {
    const signedOut = await launchBrowser();
    try {
      const visitor = await signedOut.browser.newPage();
      await visitor.goto(`${apiUrl()}/`);
      await visitor.getByRole('link', { name: 'Verify a document without signing in' }).click();
      await visitor.getByRole('button', { name: 'Pin the announced key' }).click();
      await visitor.getByLabel('Document', { exact: true }).setInputFiles({
        name: documentName,
        mimeType: 'application/octet-stream',
        buffer: documentBytes,
      });
      await visitor.getByLabel('Receipt (JSON)').setInputFiles({
        name: 'receipt.json',
        mimeType: 'application/json',
        buffer: Buffer.from(receipt),
      });
      await visitor.getByRole('button', { name: 'Verify', exact: true }).click();
      await visitor.locator('[data-verdict="ok"]').waitFor();
      // No lookup by hash without the verifier role.
      expect(await visitor.getByRole('button', { name: 'Look up by hash' }).count()).toBe(0);

      // Another key pinned on purpose: the server's announcement does not override it, and says so.
      const { publicKey } = generateKeyPairSync('ed25519');
      const otherKey = formatVerifierKey(
        'stempel.local/notarizations',
        new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url')),
      );
      await visitor.getByRole('button', { name: 'Change key' }).click();
      await visitor.getByLabel('Verifier key (name+hash+key)').fill(otherKey);
      await visitor.getByRole('button', { name: 'Pin this key' }).click();
      await visitor.getByText('this server announces a different key').waitFor();
      await visitor.getByRole('button', { name: 'Verify', exact: true }).click();
      await visitor.locator('[data-verdict="failed"][data-part="signature"]').waitFor();
    } finally {
      await signedOut.close();
    }
  });

  it('shows the live log page: checkpoint and connection status', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Live log' }).click();
    await page.getByRole('heading', { name: 'Live log' }).waitFor();
    const checkpoint = await fetch(`${apiUrl()}/v1/log/checkpoint`).then((r) => r.text());
    const shownSize = Number(((await page.getByTestId('tree-size').textContent()) ?? '').replace(/\D/g, ''));
    expect(shownSize).toBeGreaterThanOrEqual(2);
    expect(shownSize).toBeLessThanOrEqual(Number(checkpoint.split('\n')[1]));
    // The local runtime's live channel (ws at /v1/live), subscribed with this session's token.
    await page.locator('p[data-status="open"]').waitFor();
    await shot(page, 'live');
  });

  it('switches to German, keeps it across a reload, and stays signed in (refresh cookie)', async () => {
    await page.getByLabel('Language').selectOption('de');
    await page.getByRole('heading', { name: 'Live-Log' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('de');
    await page.reload();
    await page.getByRole('heading', { name: 'Live-Log' }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Beurkunden' }).click();
    await page.getByRole('heading', { name: 'Dokumente beurkunden' }).waitFor();
    // Dates in the German form (day.month.year).
    expect(await page.locator('tr', { hasText: sha256(documentBytes) }).textContent()).toMatch(
      /\d{1,2}\.\d{1,2}\.\d{4}/,
    );
    await shot(page, 'notarize-de');
  });

  it('ran without a page error or a refusal by the CSP', () => {
    expect(pageErrors).toEqual([]);
  });
});
