import { render } from 'preact';
import { App } from './app';
import { restoreSession } from './auth/session';
import { loadConfig } from './config';
import { t } from './i18n';
import { startLive } from './live/connection';

const root = document.getElementById('app') as HTMLElement;

try {
  await loadConfig();
  render(<App />, root);
  startLive();
  await restoreSession();
} catch (err) {
  // Without its config the console cannot talk to anything; say so instead of a blank page.
  const message = document.createElement('p');
  message.setAttribute('role', 'alert');
  message.textContent = t('app.loadFailed', { reason: err instanceof Error ? err.message : String(err) });
  root.replaceChildren(message);
}
