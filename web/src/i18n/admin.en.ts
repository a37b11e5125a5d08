/**
 * English strings of the admin pages (users, audit, reports). Keys start with
 * `admin.`; placeholders are `{name}`. admin.de.ts must have the same keys.
 */
export const adminEn = {
  'admin.users.title': 'Users',
  'admin.audit.title': 'Audit trail',
  'admin.reports.title': 'Reports',
} as const satisfies Record<`admin.${string}`, string>;
