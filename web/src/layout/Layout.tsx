import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { currentUser, logout } from '../auth/session';
import { config } from '../config';
import { t } from '../i18n';
import { mayOpen, PAGES } from '../pages';
import { LanguageSwitch } from './LanguageSwitch';

function Navigation() {
  const user = currentUser.value;
  const { path } = useLocation();
  if (!user) return null;
  return (
    <nav aria-label={t('nav.label')}>
      <ul>
        {PAGES.filter((page) => mayOpen(page, user.roles)).map((page) => (
          <li key={page.path}>
            <a href={page.path} aria-current={path === page.path ? 'page' : undefined}>
              {t(page.label)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function UserMenu() {
  const user = currentUser.value;
  if (!user) return null;
  return (
    <div class="user-menu">
      <span>{t('nav.signedInAs', { username: user.username })}</span>
      <button type="button" class="secondary" onClick={() => void logout()}>
        {t('nav.signOut')}
      </button>
    </div>
  );
}

export function Layout({ children }: { children: ComponentChildren }) {
  const { stage } = config();
  return (
    <>
      <a class="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header class="app-header">
        <a class="brand" href="/">
          {t('app.name')}
        </a>
        <Navigation />
        <div class="header-tools">
          <LanguageSwitch />
          <UserMenu />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <footer class="app-footer">{t('app.stage', { stage })}</footer>
    </>
  );
}
