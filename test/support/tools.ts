import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs the built CLI (dist/stempel.mjs); never throws, so a failure can be
 * asserted. No STEMPEL_TOKEN or STEMPEL_PASSWORD leaks in from the test's
 * environment: only what `env` gives.
 */
export const cli = (args: string[], env: Record<string, string> = {}) => {
  const { STEMPEL_TOKEN: _t, STEMPEL_PASSWORD: _p, ...base } = process.env;
  return run(process.execPath, ['dist/stempel.mjs', ...args], {
    encoding: 'utf8',
    env: { ...base, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, out: `${stdout}${stderr}` }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      out: `${err.stdout}${err.stderr}`,
    }),
  );
};

/** An openssl runner in `dir`; never throws, so a failing verification can be asserted. */
export const opensslIn =
  (dir: string) =>
  (...args: string[]): { status: number | null; out: string } => {
    const { status, stdout, stderr } = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    return { status, out: `${stdout}${stderr}` };
  };
