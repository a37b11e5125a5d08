import { CliError } from './api-client';

/**
 * Asks for one line on the terminal. With `hidden`, nothing typed is echoed
 * (raw mode; backspace works, Ctrl-C aborts). The prompt goes to stderr, so
 * stdout stays clean for what the command prints.
 */
export function ask(question: string, options: { hidden?: boolean; envHint?: string } = {}): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) {
    return Promise.reject(
      new CliError(`no terminal to ask on${options.envHint ? `: set ${options.envHint}` : ''}`),
    );
  }
  stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (outcome: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      outcome();
    };
    const onData = (chunk: string) => {
      // Arrow and function keys (escape sequences) are not part of a password.
      if (chunk.startsWith('\u001b')) return;
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(() => resolve(value));
        if (ch === '\u0003') return finish(() => reject(new CliError('cancelled')));
        if (ch === '\u007f' || ch === '\b') {
          if (value.length > 0) {
            value = Array.from(value).slice(0, -1).join('');
            if (!options.hidden) stderr.write('\b \b');
          }
        } else if (ch >= ' ') {
          value += ch;
          if (!options.hidden) stderr.write(ch);
        }
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
