import { createHash } from 'node:crypto';
import type { AuditStore } from '../ports/audit-store';
import type { ParameterHistory, ParameterVersion } from '../ports/parameter-history';
import { type AuditEvent, type AuditInput, newAuditEvent } from './audit-event';

/**
 * Versions changed longer ago than this are not recorded any more: the audit
 * log seals only events recorded within a day (`maxSealDelaySeconds`), and
 * every change is looked at within seconds, with retries for hours.
 */
const LOOK_BACK_MS = 12 * 3600 * 1000;

/** A UUID (version 8, RFC 9562) named by what it records (a parameter's version): a retry finds the same event. */
export function settingsEventId(name: string, version: number | string): string {
  const bytes = createHash('sha256').update(`settings\n${name}\n${version}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const parsed = (value: string | undefined): Record<string, unknown> => {
  if (value === undefined) return {};
  try {
    const json = JSON.parse(value) as unknown;
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : { value: json };
  } catch {
    return { value };
  }
};

/** The settings that differ between two versions, each with its old and new value (null: not set). */
export function settingsChanges(before: string | undefined, after: string): AuditInput['changes'] {
  const [from, to] = [parsed(before), parsed(after)];
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
    if (JSON.stringify(from[key]) !== JSON.stringify(to[key]))
      changes[key] = { from: from[key] ?? null, to: to[key] ?? null };
  }
  return changes;
}

/** The audit event of one version of the settings parameter. */
export function settingsChangeEvent(
  name: string,
  version: ParameterVersion,
  previous: ParameterVersion | undefined,
  now: Date,
): AuditEvent {
  return newAuditEvent(
    {
      action: 'settings.change',
      // Operators act through AWS, not as Stempel users: their principal is personal (it may name them).
      actor: 'operator',
      target: 'settings',
      outcome: 'success',
      changes: settingsChanges(previous?.value, version.value),
      requestId: `ssm:${name}:${version.version}`,
      personal: version.modifiedBy ? { usernames: [version.modifiedBy] } : {},
    },
    now,
    settingsEventId(name, version.version),
  );
}

/**
 * Records each recent version of the settings parameter as a `settings.change`
 * audit event, once: told of a change (or of several, or late), it records
 * every version of the last hours that is not recorded yet.
 */
export class SettingsAudit {
  constructor(
    private readonly history: ParameterHistory,
    private readonly audit: Pick<AuditStore, 'record'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async recordChanges(name: string): Promise<{ readonly recorded: number[] }> {
    const versions = await this.history.versions(name);
    const since = this.now().getTime() - LOOK_BACK_MS;
    const recorded: number[] = [];
    for (const [i, version] of versions.entries()) {
      if (version.modifiedAt.getTime() < since) continue;
      const event = settingsChangeEvent(name, version, versions[i - 1], this.now());
      if (await this.audit.record(event)) recorded.push(version.version);
    }
    return { recorded };
  }

  /** The parameter was deleted (its history with it): one `settings.delete` event per notice `noticeId`. */
  async recordDeletion(name: string, noticeId: string): Promise<boolean> {
    const event = newAuditEvent(
      {
        action: 'settings.delete',
        actor: 'operator',
        target: 'settings',
        outcome: 'success',
        requestId: `ssm:${name}:deleted`,
        personal: {},
      },
      this.now(),
      settingsEventId(name, `deleted ${noticeId}`),
    );
    return this.audit.record(event);
  }
}
