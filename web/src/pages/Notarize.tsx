import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { apiFetch } from '../api/client';
import type { Notarization } from '../api/types';
import { DropZone } from '../components/DropZone';
import { saveBlob } from '../components/download';
import { describeError } from '../components/errors';
import { formatBytes, formatDateTime, formatNumber, t } from '../i18n';
import { liveStatus, onSealed, onSubscribed } from '../live/connection';
import { enqueue, type Job, jobs } from '../notarize/jobs';
import {
  add,
  loadFirstPage,
  loadMore,
  markSealed,
  nextCursor,
  notarizations,
  recheckPending,
} from '../notarize/notarizations';

/** Without a live channel the page asks about pending items this often (and backs off). */
const POLL_MS = 3000;

const percent = (part: number, whole: number) =>
  formatNumber(whole === 0 ? 1 : part / whole, { style: 'percent', maximumFractionDigits: 0 });

function JobStatus({ job }: { job: Job }) {
  switch (job.phase) {
    case 'queued':
    case 'hashing':
      return (
        <>
          <progress max={job.size || 1} value={job.bytes} />{' '}
          {t('notarize.hashing', { percent: percent(job.bytes, job.size) })}
        </>
      );
    case 'uploading':
      return (
        <>
          <progress max={job.size || 1} value={job.bytes} />{' '}
          {t('notarize.uploading', { percent: percent(job.bytes, job.size) })}
        </>
      );
    case 'verifying':
      return <>{t('notarize.verifying')}</>;
    case 'submitting':
      return <>{t('notarize.submitting')}</>;
    case 'done':
      return <>{t('notarize.submitted')}</>;
    case 'failed':
      return <span class="badge failed">{t('notarize.failed', { detail: job.error ?? '' })}</span>;
  }
}

function Jobs() {
  const list = jobs.value;
  if (list.length === 0) return null;
  return (
    <section aria-labelledby="jobs-title">
      <h2 id="jobs-title">{t('notarize.queue')}</h2>
      {/* Progress is not announced (it would be read out every few megabytes); the outcome is. */}
      <p class="visually-hidden" role="status">
        {t('notarize.summary', {
          done: list.filter((job) => job.phase === 'done').length,
          failed: list.filter((job) => job.phase === 'failed').length,
          total: list.length,
        })}
      </p>
      <ul class="jobs">
        {list.map((job) => (
          <li key={job.key} data-phase={job.phase}>
            <strong>{job.name}</strong> ({formatBytes(job.size)}) — <JobStatus job={job} />
          </li>
        ))}
      </ul>
    </section>
  );
}

async function downloadReceipt(n: Notarization) {
  const res = await apiFetch('GET', `/v1/notarizations/${n.id}/receipt`);
  saveBlob(await res.blob(), `${n.name ?? n.id}.receipt.json`);
}

function NotarizationRow({ n, onError }: { n: Notarization; onError: (message: string) => void }) {
  const name = n.name ?? t('notarize.unnamed');
  return (
    <tr data-id={n.id} data-status={n.status}>
      <td>{name}</td>
      <td class="mono">{n.sha256}</td>
      <td>{formatDateTime(n.receivedAt)}</td>
      <td>
        <span class={`badge ${n.status === 'sealed' ? 'sealed' : 'pending'}`}>
          {n.status === 'sealed' ? t('notarize.sealed') : t('notarize.pending')}
        </span>
      </td>
      <td>
        {n.status === 'sealed' && (
          <button
            type="button"
            class="secondary"
            aria-label={t('notarize.receiptFor', { name })}
            onClick={() => downloadReceipt(n).catch((err: unknown) => onError(describeError(err)))}
          >
            {t('notarize.receipt')}
          </button>
        )}
      </td>
    </tr>
  );
}

export function Notarize() {
  const store = useSignal(false);
  const error = useSignal<string | undefined>(undefined);
  const announcement = useSignal('');
  const list = notarizations.value;

  useEffect(() => {
    const announce = (sealed: readonly Notarization[]) => {
      if (sealed.length > 0)
        announcement.value = sealed
          .map((n) => t('notarize.nowSealed', { name: n.name ?? n.sha256.slice(0, 12) }))
          .join(' ');
    };
    const recheck = () =>
      recheckPending()
        .then(announce)
        .catch((err: unknown) => {
          error.value = describeError(err);
        });
    loadFirstPage().catch((err: unknown) => {
      error.value = describeError(err);
    });
    const stopSealed = onSealed((entries) => announce(markSealed(entries)));
    // Sealed while not subscribed (before the page opened, during a reconnect): ask the API.
    const stopSubscribed = onSubscribed(recheck);
    let delay = POLL_MS;
    let timer: ReturnType<typeof setTimeout>;
    const poll = () => {
      const anyPending = notarizations.peek().some((n) => n.status === 'pending');
      if (liveStatus.peek() !== 'open' && anyPending) {
        void recheck();
        delay = Math.min(delay * 1.5, 15_000);
      } else delay = POLL_MS;
      timer = setTimeout(poll, delay);
    };
    timer = setTimeout(poll, delay);
    return () => {
      stopSealed();
      stopSubscribed();
      clearTimeout(timer);
    };
  }, [announcement, error]);

  return (
    <>
      <h1>{t('notarize.title')}</h1>
      <DropZone
        label={t('notarize.choose')}
        help={t('notarize.dropHelp')}
        multiple
        onFiles={(files) => enqueue(files, store.value, add)}
      >
        <p aria-hidden="true">{t('notarize.drop')}</p>
      </DropZone>
      <p>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={store.value}
            onChange={(event) => {
              store.value = event.currentTarget.checked;
            }}
          />{' '}
          {t('notarize.store')}
        </label>
      </p>
      <Jobs />
      <div class="visually-hidden" role="status" aria-live="polite">
        {announcement.value}
      </div>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      <section aria-labelledby="list-title">
        <h2 id="list-title">{t('notarize.list')}</h2>
        {list.length === 0 ? (
          <p>{t('notarize.empty')}</p>
        ) : (
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('notarize.name')}</th>
                  <th scope="col">{t('notarize.sha256')}</th>
                  <th scope="col">{t('notarize.received')}</th>
                  <th scope="col">{t('notarize.status')}</th>
                  <th scope="col">{t('notarize.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {list.map((n) => (
                  <NotarizationRow
                    key={n.id}
                    n={n}
                    onError={(message) => {
                      error.value = message;
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {nextCursor.value && (
          <button
            type="button"
            class="secondary"
            onClick={() =>
              loadMore().catch((err: unknown) => {
                error.value = describeError(err);
              })
            }
          >
            {t('notarize.more')}
          </button>
        )}
      </section>
    </>
  );
}
