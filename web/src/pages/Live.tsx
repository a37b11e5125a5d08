import { useEffect } from 'preact/hooks';
import { formatDateTime, formatNumber, type MessageKey, t } from '../i18n';
import { type LiveStatus, liveCheckpoint, liveStatus, loadCheckpoint, recentSeals } from '../live/connection';

const STATUS_LABEL: Record<LiveStatus, MessageKey> = {
  unavailable: 'live.status.unavailable',
  connecting: 'live.status.connecting',
  open: 'live.status.open',
  closed: 'live.status.closed',
};

export function Live() {
  const status = liveStatus.value;
  const checkpoint = liveCheckpoint.value;
  const seals = recentSeals.value;
  useEffect(() => {
    // Shown until the first push; a failure leaves "no checkpoint yet", which is true.
    loadCheckpoint().catch(() => undefined);
  }, []);
  return (
    <>
      <h1>{t('live.title')}</h1>
      <p role="status" aria-live="polite" data-status={status}>
        {t('live.status')}:{' '}
        <span class={`badge ${status === 'open' ? 'sealed' : 'pending'}`}>{t(STATUS_LABEL[status])}</span>
      </p>
      <section class="card" aria-labelledby="checkpoint-title">
        <h2 id="checkpoint-title">{t('live.checkpoint')}</h2>
        {checkpoint ? (
          <dl class="facts">
            <dt>{t('live.treeSize')}</dt>
            <dd data-testid="tree-size">{formatNumber(checkpoint.treeSize)}</dd>
            <dt>{t('live.rootHash')}</dt>
            <dd class="mono">{checkpoint.rootHash}</dd>
            <dt>{t('live.note')}</dt>
            <dd>
              <pre>{checkpoint.checkpoint}</pre>
            </dd>
          </dl>
        ) : (
          <p>{t('live.noCheckpoint')}</p>
        )}
      </section>
      <section class="card" aria-labelledby="seals-title">
        <h2 id="seals-title">{t('live.recent')}</h2>
        {seals.length === 0 ? (
          <p>{t('live.none')}</p>
        ) : (
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('live.index')}</th>
                  <th scope="col">{t('live.id')}</th>
                  <th scope="col">{t('notarize.sha256')}</th>
                  <th scope="col">{t('live.kind')}</th>
                  <th scope="col">{t('live.time')}</th>
                </tr>
              </thead>
              <tbody>
                {seals.map((entry) => (
                  <tr key={entry.index}>
                    <td>{formatNumber(entry.index)}</td>
                    <td class="mono">{entry.id}</td>
                    <td class="mono">{entry.sha256}</td>
                    <td>{entry.kind}</td>
                    <td>{formatDateTime(entry.receivedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
