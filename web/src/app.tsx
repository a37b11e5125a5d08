import { signal } from '@preact/signals';
import { ErrorBoundary, LocationProvider, lazy, Route, Router, useLocation } from 'preact-iso';
import { currentUser, session } from './auth/session';
import { t } from './i18n';
import { Layout } from './layout/Layout';
import { mayOpen, PAGES } from './pages';
import { Home } from './pages/Home';
import { Login } from './pages/Login';
import { NotFound } from './pages/NotFound';

// Checking a receipt needs no account: the key is the only thing trusted.
const VerifySignedOut = lazy(() => import('./pages/Verify').then((m) => m.Verify));
const ForcedPasswordChange = lazy(() => import('./pages/PasswordChange').then((m) => m.ForcedPasswordChange));

/** A page whose chunk failed to load (a deploy replaced it, the network dropped) says so until the next navigation. */
const pageFailed = signal(false);

function Pages() {
  const current = session.value;
  const { path } = useLocation();
  if (current.status === 'starting') return <p role="status">{t('app.loading')}</p>;
  if (current.status === 'signed-out') return path === '/verify' ? <VerifySignedOut /> : <Login />;
  // The API refuses everything else until the temporary password is replaced.
  if (current.user.mustChangePassword) return <ForcedPasswordChange />;
  const roles = currentUser.value?.roles ?? [];
  return (
    // Moves focus to the new page's content, as a page load would (screen readers announce it).
    <Router
      onRouteChange={() => {
        pageFailed.value = false;
        document.getElementById('main')?.focus();
      }}
    >
      <Route path="/" component={Home} />
      {PAGES.filter((page) => mayOpen(page, roles)).map((page) => (
        <Route key={page.path} path={page.path} component={page.component} />
      ))}
      <Route default component={NotFound} />
    </Router>
  );
}

export function App() {
  return (
    <LocationProvider>
      <Layout>
        {pageFailed.value && <p role="alert">{t('app.pageFailed')}</p>}
        <ErrorBoundary
          onError={() => {
            pageFailed.value = true;
          }}
        >
          <Pages />
        </ErrorBoundary>
      </Layout>
    </LocationProvider>
  );
}
