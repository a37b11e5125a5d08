import { addAdminMessages } from '../../i18n';
import { adminDe } from '../../i18n/admin.de';
import { adminEn } from '../../i18n/admin.en';

// Imported first by each admin page: their strings load with their chunks, not with the sign-in page.
addAdminMessages({ en: adminEn, de: adminDe });
