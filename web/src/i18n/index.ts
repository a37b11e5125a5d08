import { effect, signal } from '@preact/signals';
import type { adminEn } from './admin.en';
import { de } from './de';
import { en } from './en';

export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];
export type AdminMessageKey = keyof typeof adminEn;
export type MessageKey = keyof typeof en | AdminMessageKey;
export type MessageVars = Readonly<Record<string, string | number>>;

// The admin pages' strings come with their lazy chunks (addAdminMessages), not with the sign-in page.
const dictionaries: Record<Locale, Partial<Record<MessageKey, string>>> = {
  en: { ...en },
  de: { ...de },
};

/** Called by the admin pages' chunk when it loads: their strings in both languages. */
export function addAdminMessages(messages: Record<Locale, Record<AdminMessageKey, string>>) {
  for (const language of LOCALES) Object.assign(dictionaries[language], messages[language]);
}

const STORAGE_KEY = 'stempel.locale';

const isLocale = (value: unknown): value is Locale => LOCALES.includes(value as Locale);

function initialLocale(): Locale {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (isLocale(stored)) return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const language = tag.slice(0, 2).toLowerCase();
    if (isLocale(language)) return language;
  }
  return 'en';
}

/** The chosen language; reading it in a component re-renders that component when it changes. */
export const locale = signal<Locale>(initialLocale());

export function setLocale(next: Locale) {
  localStorage.setItem(STORAGE_KEY, next);
  locale.value = next;
}

// Screen readers and hyphenation follow the document's language.
effect(() => {
  document.documentElement.lang = locale.value;
});

/** The message for `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars?: MessageVars): string {
  // Only an admin key read before its chunk registered it is missing: the key beats an empty text.
  const template = dictionaries[locale.value][key] ?? key;
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? formatNumber(value) : value;
  });
}

export const formatNumber = (value: number, options?: Intl.NumberFormatOptions) =>
  new Intl.NumberFormat(locale.value, options).format(value);

export const formatDateTime = (value: string | number | Date) =>
  new Intl.DateTimeFormat(locale.value, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(value));

/** A byte count in the largest unit that keeps it at or above 1, e.g. "2.1 GB" / "2,1 GB". */
export function formatBytes(bytes: number): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
  let unit = 0;
  let value = bytes;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return formatNumber(value, {
    style: 'unit',
    unit: units[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  });
}
