import type { adminEn } from './admin.en';

/** German strings of the admin pages: the keys of admin.en.ts, checked by the compiler. */
export const adminDe: Record<keyof typeof adminEn, string> = {
  'admin.users.title': 'Benutzer',
  'admin.audit.title': 'Prüfprotokoll',
  'admin.reports.title': 'Berichte',
};
