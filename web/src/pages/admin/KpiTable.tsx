import { formatNumber, type MessageKey, t } from '../../i18n';
import type { KpiPeriod } from './api';

// Counts that add up over periods; users, 2FA and active users are states of a period, not sums.
const SUMMED = ['notarizations', 'verifications', 'receiptsFetched', 'logins', 'loginFailures'] as const;
const STATES = ['activeUsers', 'users', 'usersWith2fa'] as const;

const HEADINGS: Readonly<Record<(typeof SUMMED)[number] | (typeof STATES)[number], MessageKey>> = {
  notarizations: 'admin.reports.notarizations',
  verifications: 'admin.reports.verifications',
  receiptsFetched: 'admin.reports.receiptsFetched',
  logins: 'admin.reports.logins',
  loginFailures: 'admin.reports.loginFailures',
  activeUsers: 'admin.reports.activeUsers',
  users: 'admin.reports.users',
  usersWith2fa: 'admin.reports.usersWith2fa',
};

export const formatPercent = (value: number) =>
  formatNumber(value / 100, { style: 'percent', maximumFractionDigits: 1 });

/** The key figures per period, with the totals of the counts: the charts' text alternative. */
export function KpiTable({ id, periods }: { readonly id: string; readonly periods: readonly KpiPeriod[] }) {
  const total = (key: (typeof SUMMED)[number]) => periods.reduce((sum, period) => sum + period[key], 0);
  const last = periods[periods.length - 1];
  return (
    <div class="table-scroll">
      <table class="admin-table admin-numbers" id={id}>
        <caption>{t('admin.reports.tableCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('admin.reports.period')}</th>
            {[...SUMMED, ...STATES].map((key) => (
              <th scope="col" key={key}>
                {t(HEADINGS[key])}
              </th>
            ))}
            <th scope="col">{t('admin.reports.adoption')}</th>
          </tr>
        </thead>
        <tbody>
          {periods.map((period) => (
            <tr key={period.period}>
              <th scope="row">{period.period}</th>
              {[...SUMMED, ...STATES].map((key) => (
                <td key={key}>{formatNumber(period[key])}</td>
              ))}
              <td>{formatPercent(period.twoFactorAdoptionPercent)}</td>
            </tr>
          ))}
        </tbody>
        {last && (
          <tfoot>
            <tr>
              <th scope="row">{t('admin.reports.total')}</th>
              {SUMMED.map((key) => (
                <td key={key}>{formatNumber(total(key))}</td>
              ))}
              {/* Users are not summed over periods: the range ends with the last period's state. */}
              <td>{t('admin.reports.notSummed')}</td>
              <td>{formatNumber(last.users)}</td>
              <td>{formatNumber(last.usersWith2fa)}</td>
              <td>{formatPercent(last.twoFactorAdoptionPercent)}</td>
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}
