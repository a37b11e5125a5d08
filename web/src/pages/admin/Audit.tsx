import { t } from '../../i18n';

export default function Audit() {
  return <h1>{t('admin.audit.title')}</h1>;
}
