import { t } from '../../i18n';

export default function Users() {
  return <h1>{t('admin.users.title')}</h1>;
}
