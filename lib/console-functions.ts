/**
 * The CloudFront Functions of the console's distribution (cloudfront-js-2.0),
 * as source text: lib/console.ts deploys them, and test/infra/console.test.ts
 * evaluates the very same text.
 */
import { VIEWER_ADDRESS_HEADER } from '../shared/http/client-address';

/**
 * SPA routing on the default (S3) behavior: a path whose last segment has no
 * file extension is a route of the single-page app and gets index.html;
 * anything else (assets, config.json, favicon) is fetched as it is. Unlike
 * distribution-wide custom error responses, this never touches the API's own
 * 403 and 404 problems under /v1/.
 */
export const SPA_REWRITE_FUNCTION = `function handler(event) {
  var request = event.request;
  var lastSegment = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (lastSegment.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}
`;

/**
 * On the API behaviors: the viewer's address as CloudFront saw the connection
 * (event.viewer.ip, an address without port), replacing whatever the client
 * sent in that header.
 */
export const VIEWER_ADDRESS_FUNCTION = `function handler(event) {
  var request = event.request;
  request.headers['${VIEWER_ADDRESS_HEADER}'] = { value: event.viewer.ip };
  return request;
}
`;
