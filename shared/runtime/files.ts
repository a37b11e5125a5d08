import { DynamoNotarizationStore } from '../adapters/dynamo-notarization-store';
import { DynamoOwnerKeyStore } from '../adapters/dynamo-owner-key-store';
import { DynamoUploadStore } from '../adapters/dynamo-upload-store';
import { S3FileStore } from '../adapters/s3-file-store';
import { OwnerKeys } from '../core/owner-keys';
import { Uploads } from '../core/uploads';
import { secretBox } from './keys';
import { notary } from './notary';
import { once } from './once';
import { settings } from './settings';

export const ownerKeys = /* @__PURE__ */ once(() => new OwnerKeys(new DynamoOwnerKeyStore(), secretBox()));

/** Composition root of uploads and downloads (the notarizations function). */
export const uploads = /* @__PURE__ */ once(
  () =>
    new Uploads({
      uploads: new DynamoUploadStore(),
      files: new S3FileStore(),
      ownerKeys: ownerKeys(),
      notary: notary(),
      notarizations: new DynamoNotarizationStore(),
      settings,
    }),
);
