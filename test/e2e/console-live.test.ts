import { createHash, randomBytes } from 'node:crypto';
import type { BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveServerMessage, LiveSubscribe } from '../../shared/core/live-protocol';
import { launchBrowser } from '../support/browser';
import { apiUrl, createUser, uniqueName } from '../support/http';

/**
 * The console's side of the live channel (shared/core/live-protocol.ts),
 * against a scripted server in the browser (Playwright's WebSocket routing):
 * subscribe with the access token, seal pushes without a reload, reconnect
 * with `since` = the last tree size seen, re-subscribe with a fresh token
 * after the server refuses an expired one.
 */
declare class DataTransfer {
  readonly items: { add(file: File): void };
}
declare class DragEvent extends Event {
  constructor(type: string, init: { bubbles: boolean; cancelable: boolean; dataTransfer: DataTransfer });
}

const TREE_SIZE = 1000;

describe('web console: live channel', () => {
  let context: BrowserContext;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const subscribes: LiveSubscribe[] = [];
  const sockets: WebSocketRoute[] = [];
  const liveUrl = () => `${apiUrl().replace(/^http/, 'ws')}/v1/live`;
  const push = (message: LiveServerMessage) => sockets.at(-1)?.send(JSON.stringify(message));

  beforeAll(async () => {
    const user = await createUser(['uploader']);
    ({ browser: context, close: closeBrowser } = await launchBrowser());
    // The server announces a live channel (the local runtime's config has none yet).
    await context.route('**/config.json', (route) =>
      route.fulfill({ json: { apiBase: '', liveUrl: liveUrl(), verifierKey: null, stage: 'local' } }),
    );
    page = await context.newPage();
    await page.routeWebSocket(liveUrl(), (ws) => {
      sockets.push(ws);
      ws.onMessage((text) => {
        const subscribe = JSON.parse(String(text)) as LiveSubscribe;
        subscribes.push(subscribe);
        ws.send(JSON.stringify({ type: 'subscribed', expiresAt: Math.floor(Date.now() / 1000) + 900 }));
        if (subscribes.length === 1)
          ws.send(
            JSON.stringify({
              type: 'checkpoint',
              treeSize: TREE_SIZE,
              rootHash: 'q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=',
              checkpoint: `stempel.local/notarizations\n${TREE_SIZE}\nq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\n\n— stempel.local/notarizations AAAA\n`,
            }),
          );
      });
    });
    await page.goto(`${apiUrl()}/`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Notarize documents' }).waitFor();
  });

  afterAll(async () => {
    await closeBrowser?.();
  });

  it('subscribes with the access token and shows the pushed checkpoint', async () => {
    await expect.poll(() => subscribes.length).toBe(1);
    expect(subscribes[0]).toMatchObject({ action: 'subscribe' });
    expect(subscribes[0]?.token.split('.')).toHaveLength(3);
    expect(subscribes[0]?.since).toBeUndefined();
    await page.getByRole('navigation').getByRole('link', { name: 'Live log' }).click();
    await page.locator('[data-status="open"]').waitFor();
    await expect.poll(() => page.getByTestId('tree-size').textContent()).toBe('1,000');
  });

  it('turns a notarization sealed when its seal is pushed', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Notarize' }).click();
    const bytes = randomBytes(512);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await page.getByTestId('drop-zone').evaluate(
      (element, { base64, name }) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name));
        for (const type of ['dragenter', 'dragover', 'drop'])
          element.dispatchEvent(
            new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }),
          );
      },
      { base64: bytes.toString('base64'), name: `${uniqueName('pushed')}.bin` },
    );
    const row = page.locator('tr', { hasText: sha256 });
    await row.waitFor();
    // With the channel open the page does not poll: only the push can seal it here.
    expect(await row.getAttribute('data-status')).toBe('pending');
    const id = (await row.getAttribute('data-id')) as string;
    push({
      type: 'sealed',
      treeSize: TREE_SIZE + 1,
      entries: [{ index: TREE_SIZE, id, sha256, receivedAt: new Date().toISOString(), kind: 'notarization' }],
    });
    await expect.poll(() => row.getAttribute('data-status')).toBe('sealed');
    await page.getByText(/is sealed\./).waitFor({ state: 'attached' });
  });

  it('reconnects after a dropped connection and asks for what it missed', async () => {
    await sockets.at(-1)?.close({ code: 1011, reason: 'server restart' });
    await expect.poll(() => subscribes.length, { timeout: 20_000 }).toBe(2);
    expect(subscribes[1]?.since).toBe(TREE_SIZE + 1);
    expect(subscribes[1]?.token).toBe(subscribes[0]?.token);
  });

  it('gets a fresh token when the server refuses an expired one, and subscribes with it', async () => {
    push({ type: 'error', code: 'token_expired', detail: 'the access token expired' });
    await sockets.at(-1)?.close({ code: 4401, reason: 'token expired' });
    await expect.poll(() => subscribes.length, { timeout: 20_000 }).toBe(3);
    expect(subscribes[2]?.token).not.toBe(subscribes[1]?.token);
    expect(subscribes[2]?.since).toBe(TREE_SIZE + 1);
    // Still signed in: the refresh cookie was used, not the login form.
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  });
});
