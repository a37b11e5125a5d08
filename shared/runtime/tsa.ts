import { join } from 'node:path';
import { DynamoNotarizationStore } from '../adapters/dynamo-notarization-store';
import { KmsTsaSigner } from '../adapters/kms-tsa-signer';
import { LocalTsaSigner } from '../adapters/local-tsa-signer';
import { ssmCertificateChain } from '../adapters/ssm-certificate-chain';
import { TimeStampAuthority } from '../core/timestamp-authority';
import type { TsaSigner } from '../ports/tsa-signer';
import { ENV } from './environment';
import { notary } from './notary';
import { once } from './once';
import { settings } from './settings';

/** The TSA key: KMS (chain from SSM) in AWS, `keys/tsa.pem` in the local data directory otherwise. */
export const tsaSigner = /* @__PURE__ */ once((): TsaSigner => {
  const keyId = process.env[ENV.tsaKeyId];
  if (keyId) {
    const parameter = process.env[ENV.tsaChainParameter];
    if (!parameter) throw new Error(`${ENV.tsaKeyId} needs ${ENV.tsaChainParameter}`);
    const algorithm = process.env[ENV.tsaKeyAlgorithm] === 'ES384' ? 'ES384' : 'ES256';
    return new KmsTsaSigner(keyId, algorithm, ssmCertificateChain(parameter));
  }
  const dataDir = process.env[ENV.dataDir];
  if (!dataDir) throw new Error(`set ${ENV.tsaKeyId} (AWS) or ${ENV.dataDir} (local)`);
  return new LocalTsaSigner(join(dataDir, 'keys'));
});

/** Composition root of the tsa function. */
export const timeStampAuthority = /* @__PURE__ */ once(
  () =>
    new TimeStampAuthority(new DynamoNotarizationStore(), notary(), tsaSigner(), async () => {
      const { tsaPolicyOid, tsaAccuracyMillis } = await settings();
      return { policyOid: tsaPolicyOid, accuracyMillis: tsaAccuracyMillis };
    }),
);
