import { t } from '../../i18n';

export default function Reports() {
  return <h1>{t('admin.reports.title')}</h1>;
}
