import type { AnyComponent } from 'preact';
import { lazy } from 'preact-iso';
import type { Role } from './api/types';
import type { MessageKey } from './i18n';

/** A page of the console: its address, its navigation label, and who may open it. */
export interface Page {
  readonly path: string;
  readonly label: MessageKey;
  /** The roles that may open it (any of them), as the API's routes allow (shared/http/routes.ts). */
  readonly roles: readonly Role[] | 'signed-in';
  readonly component: AnyComponent;
}

// Each page is its own chunk, loaded when first opened.
export const PAGES: readonly Page[] = [
  {
    path: '/notarize',
    label: 'nav.notarize',
    roles: ['uploader'],
    component: lazy(() => import('./pages/Notarize').then((m) => m.Notarize)),
  },
  {
    path: '/verify',
    label: 'nav.verify',
    roles: 'signed-in',
    component: lazy(() => import('./pages/Verify').then((m) => m.Verify)),
  },
  {
    path: '/live',
    label: 'nav.live',
    roles: 'signed-in',
    component: lazy(() => import('./pages/Live').then((m) => m.Live)),
  },
  {
    path: '/account',
    label: 'nav.account',
    roles: 'signed-in',
    component: lazy(() => import('./pages/Account').then((m) => m.Account)),
  },
  {
    path: '/admin/users',
    label: 'nav.users',
    roles: ['admin'],
    component: lazy(() => import('./pages/admin/Users')),
  },
  {
    path: '/audit',
    label: 'nav.audit',
    roles: ['auditor', 'admin'],
    component: lazy(() => import('./pages/admin/Audit')),
  },
  {
    path: '/reports',
    label: 'nav.reports',
    roles: ['admin'],
    component: lazy(() => import('./pages/admin/Reports')),
  },
];

export const mayOpen = (page: Page, roles: readonly Role[]) =>
  page.roles === 'signed-in' || page.roles.some((role) => roles.includes(role));
