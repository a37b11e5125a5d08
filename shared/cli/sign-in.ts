import { ApiClient, CliError } from './api-client';
import { ask } from './prompt';

export interface SignInOptions {
  readonly url: string;
  readonly token?: string;
  readonly login?: string;
}

/**
 * An API client with a usable access token: `--token` (checked with GET
 * /v1/me before any long work), or `--login`, asking for the password (and a
 * one-time code) on the terminal unless STEMPEL_PASSWORD / STEMPEL_OTP hold them.
 */
export async function signedIn(options: SignInOptions, tokenOnCommandLine: boolean): Promise<ApiClient> {
  if (options.login && tokenOnCommandLine) throw new CliError('give --token or --login, not both');
  if (!options.login && !options.token) throw new CliError('give --token (or STEMPEL_TOKEN) or --login');
  const api = new ApiClient(options.url, options.login ? undefined : options.token);
  if (options.login) {
    const password =
      process.env.STEMPEL_PASSWORD ??
      (await ask(`password for ${options.login}: `, { hidden: true, envHint: 'STEMPEL_PASSWORD' }));
    await api.login(options.login, password, () =>
      process.env.STEMPEL_OTP
        ? Promise.resolve(process.env.STEMPEL_OTP)
        : ask('one-time code: ', { envHint: 'STEMPEL_OTP' }),
    );
  } else {
    await api.checkToken();
  }
  return api;
}
