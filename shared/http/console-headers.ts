/**
 * The security headers of the web console, in one place: CloudFront's
 * response headers policy (lib/console.ts) is built from these values, and
 * the local runtime sends the same record when it serves the console itself.
 * Plain data, no CDK, so both can import it.
 */

/** HSTS max-age: two years, the value the HSTS preload list asks for (at least one year is required). */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;

/**
 * `no-referrer`: the console's paths carry notarization and user ids, and
 * nothing it talks to needs a Referer (the API authenticates with tokens, the
 * refresh cookie is SameSite=Strict), so no URL of the console leaks anywhere,
 * not even the origin.
 */
export const REFERRER_POLICY = 'no-referrer';

/** Powerful features the console never uses, denied to it and to anything it could embed. */
export const DENIED_FEATURES = [
  'accelerometer',
  'autoplay',
  'camera',
  'display-capture',
  'encrypted-media',
  'geolocation',
  'gyroscope',
  'hid',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'picture-in-picture',
  'screen-wake-lock',
  'serial',
  'usb',
  'xr-spatial-tracking',
] as const;

export interface ConsoleHeaderOptions {
  /**
   * Sources the console may connect to besides its own origin, e.g. the live
   * WebSocket's `wss://…` origin. Each is one CSP source expression.
   */
  readonly connectSources?: readonly string[];
  /**
   * Served over HTTPS (CloudFront): adds HSTS and `upgrade-insecure-requests`.
   * False for the local runtime on http://127.0.0.1, where both would break
   * the page (HSTS is ignored on http, and the upgrade would send every
   * request to an https port nobody listens on).
   */
  readonly https: boolean;
}

/** The parts of Strict-Transport-Security, for CloudFront's structured policy. */
export interface StrictTransportSecurity {
  readonly maxAgeSeconds: number;
  readonly includeSubDomains: true;
  readonly preload: true;
}

/** The console's headers, structured: what CloudFront's response headers policy is built from. */
export interface ConsoleHeaderValues {
  readonly contentSecurityPolicy: string;
  readonly strictTransportSecurity?: StrictTransportSecurity;
  readonly contentTypeOptions: 'nosniff';
  readonly frameOptions: 'DENY';
  readonly referrerPolicy: typeof REFERRER_POLICY;
  /** Headers CloudFront has no structured setting for. */
  readonly custom: Readonly<Record<string, string>>;
}

/** A CSP source expression may not contain whitespace, `;` or `,`: they would start another source or directive. */
const SOURCE_EXPRESSION = /^[^\s;,]+$/;

/**
 * The console's Content-Security-Policy: everything from its own origin only,
 * no inline script or style, WebAssembly allowed (`'wasm-unsafe-eval'`, which
 * allows compiling WebAssembly, not JavaScript `eval`), workers from the
 * origin or blob: URLs, never framed, no plugins, no `<base>`.
 */
export function contentSecurityPolicy(options: ConsoleHeaderOptions): string {
  const extra = options.connectSources ?? [];
  for (const source of extra)
    if (!SOURCE_EXPRESSION.test(source) || source.startsWith("'"))
      throw new Error(`connect-src: "${source}" is not a host source such as wss://live.example.com`);
  const directives = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    ["connect-src 'self'", ...new Set(extra)].join(' '),
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
    ...(options.https ? ['upgrade-insecure-requests'] : []),
  ];
  return directives.join('; ');
}

/** The console's headers, structured (see consoleSecurityHeaders for the plain record). */
export function consoleHeaderValues(options: ConsoleHeaderOptions): ConsoleHeaderValues {
  return {
    contentSecurityPolicy: contentSecurityPolicy(options),
    ...(options.https
      ? {
          strictTransportSecurity: {
            maxAgeSeconds: HSTS_MAX_AGE_SECONDS,
            includeSubDomains: true,
            preload: true,
          },
        }
      : {}),
    contentTypeOptions: 'nosniff',
    frameOptions: 'DENY',
    referrerPolicy: REFERRER_POLICY,
    custom: {
      'Permissions-Policy': DENIED_FEATURES.map((feature) => `${feature}=()`).join(', '),
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    },
  };
}

/** The Strict-Transport-Security header value of these parts, as CloudFront writes it. */
export const strictTransportSecurityValue = (hsts: StrictTransportSecurity): string =>
  `max-age=${hsts.maxAgeSeconds}${hsts.includeSubDomains ? '; includeSubDomains' : ''}${hsts.preload ? '; preload' : ''}`;

/**
 * Every security header of the console as a plain record (header name to
 * value), for a server that serves the built console itself.
 *
 * @example
 * consoleSecurityHeaders({ https: false, connectSources: ['ws://127.0.0.1:3000'] });
 */
export function consoleSecurityHeaders(options: ConsoleHeaderOptions): Record<string, string> {
  const values = consoleHeaderValues(options);
  return {
    'Content-Security-Policy': values.contentSecurityPolicy,
    ...(values.strictTransportSecurity
      ? { 'Strict-Transport-Security': strictTransportSecurityValue(values.strictTransportSecurity) }
      : {}),
    'X-Content-Type-Options': values.contentTypeOptions,
    'X-Frame-Options': values.frameOptions,
    'Referrer-Policy': values.referrerPolicy,
    ...values.custom,
  };
}
