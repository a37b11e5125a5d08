/**
 * The CLI's side of the Stempel API: JSON over plain fetch, errors as one
 * line for people. Nothing here ever puts a token or a password into a message.
 */

/** A failure the CLI reports as `FAILED: <message>` and exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** An error answer: the API's RFC 9457 problem (or S3's XML error), as `<status> <code>: <detail>`. */
export class HttpError extends CliError {
  /** Set when the service said when to come back (Retry-After on 429 or 503). */
  retryAfterSeconds?: number;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

/** Turns an error answer's body into an HttpError, whatever shape it has. */
export function problemError(status: number, text: string): HttpError {
  try {
    const problem = JSON.parse(text) as {
      code?: unknown;
      detail?: unknown;
      title?: unknown;
      requestId?: unknown;
    };
    if (typeof problem.code === 'string') {
      const detail = typeof problem.detail === 'string' ? problem.detail : String(problem.title ?? '');
      // The service's fault: the request id lets its operators find what happened.
      const id =
        status >= 500 && typeof problem.requestId === 'string' ? ` (request id ${problem.requestId})` : '';
      return new HttpError(status, problem.code, `${detail}${id}`);
    }
  } catch {
    // not JSON: S3 answers XML, proxies answer HTML
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  if (code) return new HttpError(status, code, message ?? '');
  return new HttpError(status, 'http_error', text.replace(/\s+/g, ' ').trim().slice(0, 200) || 'no details');
}

/** Why a request did not get an answer at all (fetch puts the reason in `cause`). */
export function unreachable(what: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (err as Error).message;
  return new CliError(`cannot reach ${what}: ${reason}`);
}

export interface Answer<T> {
  readonly status: number;
  readonly body: T;
  /** The body exactly as received. */
  readonly text: string;
}

export interface LoginAnswer {
  readonly accessToken: string;
  readonly mustChangePassword?: boolean;
}

/** Come-back-later answers waited out before giving up, and the longest wait taken. */
const MAX_WAITS = 5;
const MAX_WAIT_SECONDS = 30;

export class ApiClient {
  private readonly base: string;
  private token: string | undefined;

  constructor(base: string, token?: string) {
    this.base = base.replace(/\/+$/, '');
    this.token = token;
  }

  /** The full URL of an API path, for messages (never carries credentials). */
  url(path: string): string {
    return `${this.base}${path}`;
  }

  /**
   * One call; a non-2xx answer throws its problem as an HttpError. While the
   * service asks to come back later (429, or 503 with Retry-After: the log is
   * catching up), it waits as told, a few times: nothing was done by the refused call.
   */
  async send<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce<T>(method, path, body);
      } catch (err) {
        const wait = err instanceof HttpError ? err.retryAfterSeconds : undefined;
        if (wait === undefined || attempt >= MAX_WAITS) throw err;
        console.error(`${method} ${path}: ${(err as HttpError).status}, trying again in ${wait} s`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, MAX_WAIT_SECONDS) * 1000));
      }
    }
  }

  private async sendOnce<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw unreachable(this.base, err);
    }
    const text = await res.text();
    if (!res.ok) {
      const err = withHint(problemError(res.status, text));
      const retryAfter = Number(res.headers.get('retry-after'));
      if ((res.status === 429 || res.status === 503) && retryAfter > 0) err.retryAfterSeconds = retryAfter;
      throw err;
    }
    try {
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, text };
    } catch {
      throw new HttpError(res.status, 'invalid_response', `${method} ${path} did not answer JSON`);
    }
  }

  /** GETs a text answer (CSV) with its headers; a non-2xx answer throws its problem. */
  async getText(path: string): Promise<{ text: string; headers: Headers }> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(this.url(path), { headers });
    } catch (err) {
      throw unreachable(this.base, err);
    }
    const text = await res.text();
    if (!res.ok) throw withHint(problemError(res.status, text));
    return { text, headers: res.headers };
  }

  /**
   * POSTs bytes of `contentType` (RFC 3161 queries) to `base` + `path`;
   * answers the bytes and headers of a 2xx, throws the problem of anything
   * else. `base` is the binary API's, which may differ from the JSON API's.
   */
  async postBytes(base: string, path: string, body: Uint8Array, contentType: string) {
    const headers: Record<string, string> = { 'content-type': contentType };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const target = `${base.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(target, { method: 'POST', headers, body });
    } catch (err) {
      throw unreachable(base, err);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) throw withHint(problemError(res.status, new TextDecoder().decode(bytes)));
    return { bytes, headers: res.headers };
  }

  /**
   * Logs in and keeps the access token for the following calls. `askOtp` is
   * asked for a one-time code if the account has two-factor sign-in.
   */
  async login(username: string, password: string, askOtp: () => Promise<string>): Promise<void> {
    let answer: Answer<LoginAnswer>;
    try {
      answer = await this.send<LoginAnswer>('POST', '/v1/auth/login', { username, password });
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 401 && err.code === 'otp_required')) throw err;
      const otp = await askOtp();
      answer = await this.send<LoginAnswer>('POST', '/v1/auth/login', { username, password, otp });
    }
    if (answer.body.mustChangePassword) throw mustChangePassword(username);
    this.token = answer.body.accessToken;
  }

  /** Checks the access token before any long work (GET /v1/me): valid, and its user past a forced password change. */
  async checkToken(): Promise<void> {
    const me = await this.send<{ username: string; mustChangePassword: boolean }>('GET', '/v1/me');
    if (me.body.mustChangePassword) throw mustChangePassword(me.body.username);
  }

  /**
   * Notarizes an upload: POST /v1/notarizations {uploadId}, asked again while
   * the service answers 202 (it is reading the bytes through to check their
   * SHA-256), until the notarization (201/200) or a problem, or `timeoutMs`.
   */
  async notarizeUpload<T>(uploadId: string, timeoutMs: number): Promise<Answer<T>> {
    const deadline = Date.now() + timeoutMs;
    let delay = 200;
    for (;;) {
      const answer = await this.send<T>('POST', '/v1/notarizations', { uploadId });
      if (answer.status !== 202) return answer;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new CliError(
          `the service was still checking upload ${uploadId} after ${timeoutMs / 1000} s; run again later`,
        );
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
      delay = Math.min(delay * 1.5, 2000);
    }
  }

  /**
   * Polls a notarization's receipt until it is sealed (200) or `timeoutMs`
   * passes (202 pending until then); the receipt's text, or undefined.
   */
  async waitForReceipt(id: string, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    let delay = 200;
    for (;;) {
      const answer = await this.send<unknown>('GET', `/v1/notarizations/${encodeURIComponent(id)}/receipt`);
      if (answer.status === 200) return answer.text;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
      delay = Math.min(delay * 1.5, 2000);
    }
  }
}

const mustChangePassword = (username: string) =>
  new CliError(
    `${username} must change the password before doing anything else (POST /v1/auth/password, or the console), then log in again`,
  );

/** Adds what to do about the errors a person can act on. */
function withHint(err: HttpError): HttpError {
  const hints: Record<string, string> = {
    password_change_required:
      'this account must change its password first (POST /v1/auth/password, or the console), then log in again',
    unauthorized: 'the access token is missing, invalid or expired: use --login, or a new --token',
    forbidden: 'notarizing needs the uploader role',
  };
  const hint = hints[err.code];
  return hint ? new HttpError(err.status, err.code, `${err.detail} (${hint})`) : err;
}
