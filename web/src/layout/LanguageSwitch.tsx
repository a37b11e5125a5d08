import { LOCALES, type Locale, locale, setLocale, t } from '../i18n';

const NAMES: Record<Locale, string> = { en: 'English', de: 'Deutsch' };

export function LanguageSwitch() {
  return (
    <label class="language-switch">
      <span>{t('app.language')}</span>
      <select value={locale.value} onChange={(event) => setLocale(event.currentTarget.value as Locale)}>
        {LOCALES.map((code) => (
          <option key={code} value={code} lang={code}>
            {NAMES[code]}
          </option>
        ))}
      </select>
    </label>
  );
}
