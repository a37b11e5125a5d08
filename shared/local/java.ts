import { spawnSync } from 'node:child_process';

export const MIN_JAVA = 17;

/**
 * DynamoDB Local is AWS's own emulator, a Java program. Fails with a message
 * that says what to install when there is no Java 17+ on the PATH.
 */
export function assertJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const help = `DynamoDB Local needs Java ${MIN_JAVA} or newer on the PATH (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17).`;
  if (result.error || result.status !== 0) throw new Error(`Java was not found. ${help}`);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (!(major >= MIN_JAVA)) throw new Error(`Found Java ${match?.[1] ?? 'of unknown version'}. ${help}`);
}
