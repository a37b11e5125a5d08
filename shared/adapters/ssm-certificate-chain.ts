import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { certificatesFromPem } from '../core/tsa-verify';

/**
 * The TSA's certificate chain as PEM in an SSM String parameter (written by
 * the deployment: a certificate from the stack's CA, or the operator's own),
 * read with Powertools Parameters and cached for an hour.
 */
export const ssmCertificateChain =
  (parameterName: string, maxAgeSeconds = 3600) =>
  async (): Promise<Uint8Array[]> => {
    const pem = await getParameter(parameterName, { maxAge: maxAgeSeconds });
    if (!pem) throw new Error(`the TSA certificate parameter ${parameterName} is empty`);
    return certificatesFromPem(pem);
  };
