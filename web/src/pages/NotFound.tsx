import { t } from '../i18n';

export function NotFound() {
  return <p>{t('app.notFound')}</p>;
}
