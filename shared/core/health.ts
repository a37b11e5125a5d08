import type { HealthCheck } from '../ports/health-check';

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly checks: Record<string, 'ok' | 'failing'>;
}

/** Runs every check in parallel, each bounded by `timeoutMs`; never throws. */
export async function checkHealth(checks: readonly HealthCheck[], timeoutMs = 2000): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      });
      try {
        await Promise.race([c.check(), timeout]);
        return [c.name, 'ok'] as const;
      } catch {
        return [c.name, 'failing'] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const status = results.every(([, r]) => r === 'ok') ? 'ok' : 'degraded';
  return { status, checks: Object.fromEntries(results) };
}
