import { useSignal } from '@preact/signals';
import { Field } from '../components/Field';
import { config } from '../config';
import { t } from '../i18n';
import { keyProblem } from './check';
import { pinKey, pinnedKey } from './pinned-key';

/** Shows the pinned verifier key, offers the server's announced one on first use, and allows an explicit change. */
export function KeyPanel() {
  const pinned = pinnedKey.value;
  const offered = config().verifierKey;
  const editing = useSignal(false);
  const draft = useSignal('');
  const error = useSignal<string | undefined>(undefined);

  const pin = (key: string) => {
    const problem = keyProblem(key.trim());
    if (problem) {
      error.value = t('verify.key.invalid', { detail: problem });
      return;
    }
    pinKey(key);
    editing.value = false;
    draft.value = '';
    error.value = undefined;
  };

  return (
    <section class="card" aria-labelledby="key-title">
      <h2 id="key-title">{t('verify.key.title')}</h2>
      {pinned && (
        <dl class="facts">
          <dt>{t('verify.key.pinned')}</dt>
          <dd>
            <code data-testid="pinned-key">{pinned}</code>
          </dd>
        </dl>
      )}
      {pinned && offered && offered !== pinned && (
        <p class="warning" role="alert">
          {t('verify.key.differs')}
        </p>
      )}
      {!pinned && <p>{t('verify.key.none')}</p>}
      {!pinned && offered && (
        <div>
          <p>{t('verify.key.offered')}</p>
          <p>
            <code>{offered}</code>
          </p>
          <button type="button" onClick={() => pin(offered)}>
            {t('verify.key.useOffered')}
          </button>
        </div>
      )}
      {(!pinned || editing.value) && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            pin(draft.value);
          }}
        >
          <Field
            label={t('verify.key.input')}
            name="verifier-key"
            spellcheck={false}
            value={draft.value}
            onValue={(value) => {
              draft.value = value;
            }}
          />
          <div class="actions">
            <button type="submit">{t('verify.key.pin')}</button>
            {editing.value && (
              <button type="button" class="secondary" onClick={() => (editing.value = false)}>
                {t('common.cancel')}
              </button>
            )}
          </div>
        </form>
      )}
      {pinned && !editing.value && (
        <button type="button" class="secondary" onClick={() => (editing.value = true)}>
          {t('verify.key.change')}
        </button>
      )}
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
    </section>
  );
}
