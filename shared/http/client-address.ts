import { isIP } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ENV } from '../runtime/environment';

/**
 * The request header that carries the viewer's address to the API through
 * the console's CloudFront distribution: set at the edge from the connection
 * CloudFront saw (event.viewer.ip), replacing anything the client sent.
 */
export const VIEWER_ADDRESS_HEADER = 'x-stempel-viewer-address';

/**
 * The origin custom header CloudFront adds to every request it sends to the
 * API, holding the per-deployment origin secret; CloudFront overwrites a
 * header of the same name sent by the viewer.
 */
export const ORIGIN_VERIFY_HEADER = 'x-stempel-origin-verify';

const headerValue = (event: Pick<APIGatewayProxyEvent, 'headers'>, name: string) =>
  Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];

/**
 * The client's address: what API Gateway saw (sourceIp), except for requests
 * that came through the console's distribution, whose sourceIp is a
 * CloudFront edge; for those, the viewer address CloudFront set. That header
 * is believed only where the deployment says the WAF guards it
 * (ENV.viewerAddressTrusted): the web ACL blocks every request that carries
 * it without the origin secret only CloudFront adds, so a direct client
 * cannot pick its own address. Never a client-chosen value otherwise.
 */
export function clientAddress(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (env[ENV.viewerAddressTrusted] === 'true') {
    const viewer = headerValue(event, VIEWER_ADDRESS_HEADER)?.trim();
    if (viewer && isIP(viewer) !== 0) return viewer;
  }
  return event.requestContext?.identity?.sourceIp;
}
