import { useSignal } from '@preact/signals';
import { api, apiFetch } from '../api/client';
import type { VerifyResponse } from '../api/types';
import { hasRole } from '../auth/session';
import { DropZone } from '../components/DropZone';
import { describeError } from '../components/errors';
import { formatBytes, formatDateTime, formatNumber, type MessageKey, t } from '../i18n';
import { hashFile } from '../notarize/hash-file';
import { checkReceipt, type FailedPart, type Verdict } from '../verify/check';
import { KeyPanel } from '../verify/KeyPanel';
import { pinnedKey } from '../verify/pinned-key';

const PART_LABEL: Record<FailedPart, MessageKey> = {
  document_mismatch: 'verify.part.document_mismatch',
  signature: 'verify.part.signature',
  inclusion: 'verify.part.inclusion',
  malformed_receipt: 'verify.part.malformed_receipt',
  anchor: 'verify.part.anchor',
  key: 'verify.part.key',
};

function VerdictView({ verdict }: { verdict: Verdict }) {
  if (verdict.ok)
    return (
      <p class="success" data-verdict="ok">
        {t('verify.ok', {
          time: formatDateTime(verdict.receivedAt),
          index: formatNumber(verdict.index),
          origin: verdict.origin,
          size: formatNumber(verdict.treeSize),
        })}
      </p>
    );
  return (
    <div class="error" data-verdict="failed" data-part={verdict.part}>
      <p>{t('verify.failedPart', { part: t(PART_LABEL[verdict.part]) })}</p>
      <p class="mono">{verdict.detail}</p>
    </div>
  );
}

export function Verify() {
  const documentFile = useSignal<File | undefined>(undefined);
  const receiptFile = useSignal<File | undefined>(undefined);
  const hashed = useSignal(0);
  const busy = useSignal(false);
  const verdict = useSignal<Verdict | undefined>(undefined);
  const message = useSignal<string | undefined>(undefined);
  const key = pinnedKey.value;
  const mayLookUp = hasRole('verifier', 'admin');

  const run = async (receiptFor: (sha256: string) => Promise<string | undefined>) => {
    const file = documentFile.value;
    if (!file || !key) return;
    busy.value = true;
    verdict.value = undefined;
    message.value = undefined;
    try {
      hashed.value = 0;
      const sha256 = await hashFile(file, (bytes) => {
        hashed.value = bytes;
      });
      const text = await receiptFor(sha256);
      if (text === undefined) {
        message.value = t('verify.notFound');
        return;
      }
      verdict.value = checkReceipt(sha256, text, key);
    } catch (err) {
      message.value = describeError(err);
    } finally {
      busy.value = false;
    }
  };

  const verifyDropped = () => run(async () => receiptFile.value?.text());

  // The receipt the server returns is checked exactly like a dropped one: the server is not trusted.
  const lookUp = () =>
    run(async (sha256) => {
      const found = await api<VerifyResponse>('POST', '/v1/verify', { body: { sha256 } });
      const sealed = found.notarizations.find((n) => n.status === 'sealed');
      if (!sealed) return undefined;
      const res = await apiFetch('GET', `/v1/notarizations/${sealed.id}/receipt`);
      return await res.text();
    });

  const file = documentFile.value;
  return (
    <>
      <h1>{t('verify.title')}</h1>
      <p>{t('verify.intro')}</p>
      <KeyPanel />
      <section class="card" aria-labelledby="verify-files">
        <h2 id="verify-files">{t('verify.files')}</h2>
        <DropZone
          label={t('verify.document')}
          onFiles={([f]) => {
            documentFile.value = f;
            verdict.value = undefined;
          }}
        >
          {file && (
            <p data-testid="document-name">
              {file.name} ({formatBytes(file.size)})
            </p>
          )}
        </DropZone>
        <DropZone
          label={t('verify.receipt')}
          accept="application/json,.json"
          onFiles={([f]) => {
            receiptFile.value = f;
            verdict.value = undefined;
          }}
        >
          {receiptFile.value && <p data-testid="receipt-name">{receiptFile.value.name}</p>}
        </DropZone>
        <div class="actions">
          <button
            type="button"
            disabled={busy.value || !key || !file || !receiptFile.value}
            onClick={() => void verifyDropped()}
          >
            {t('verify.run')}
          </button>
          {mayLookUp && (
            <button
              type="button"
              class="secondary"
              disabled={busy.value || !key || !file}
              onClick={() => void lookUp()}
            >
              {t('verify.lookup')}
            </button>
          )}
        </div>
        {mayLookUp && <p class="hint">{t('verify.lookupHelp')}</p>}
        <div role="status" aria-live="polite">
          {busy.value && file && (
            <p>
              {t('verify.hashing', {
                percent: formatNumber(file.size === 0 ? 1 : hashed.value / file.size, {
                  style: 'percent',
                  maximumFractionDigits: 0,
                }),
              })}
            </p>
          )}
          {verdict.value && <VerdictView verdict={verdict.value} />}
          {message.value && <p class="error">{message.value}</p>}
        </div>
      </section>
    </>
  );
}
