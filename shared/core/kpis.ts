import type { KpiStore } from '../ports/kpi-store';
import { StempelError } from './errors';

/**
 * Key figures, counted from the audit trail as its events are recorded: each
 * event changes the counters of its day, ISO week and month once (the store
 * marks what it counted, so a redelivered event changes nothing).
 */

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** Counters per period (and per acting user). */
export const KPI_COUNTS = [
  'notarizations',
  'verifications',
  'receiptsFetched',
  'logins',
  'loginFailures',
] as const;
export type KpiCount = (typeof KPI_COUNTS)[number];

/** What an audit event changes. */
export interface KpiEffect {
  /** Counted once per key: the event's id, or for notarizations the notarization (a repeat is no new one). */
  readonly countOnce: string;
  readonly counts: Partial<Record<KpiCount, number>>;
  /** Changes of the number of users and of users with 2FA (gauges: summed from the beginning). */
  readonly users?: number;
  readonly usersWith2fa?: number;
  /** The user who acted, counted once per period as active (successful actions only). */
  readonly activeUser?: string;
}

/** The fields of an audit event that KPIs read. */
export interface KpiEventFields {
  readonly id: string;
  readonly at: string;
  readonly action: string;
  readonly actor: string;
  readonly target: string;
  readonly outcome: string;
  readonly changes?: Readonly<Record<string, { readonly from: unknown; readonly to: unknown }>>;
}

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What one audit event changes; undefined when it changes no figure. */
export function kpiEffect(event: KpiEventFields): KpiEffect | undefined {
  const ok = event.outcome === 'success';
  const had2fa = event.changes?.otp?.from === true;
  const once = `event:${event.id}`;
  const counts: Partial<Record<KpiCount, number>> = {};
  let countOnce = once;
  let users: number | undefined;
  let usersWith2fa: number | undefined;
  switch (`${event.action} ${event.outcome}`) {
    case 'notarization.create success':
      counts.notarizations = 1;
      countOnce = event.target.startsWith('notarization:') ? event.target : once;
      break;
    case 'notarization.verify success':
      counts.verifications = 1;
      break;
    case 'notarization.receipt success':
      counts.receiptsFetched = 1;
      break;
    case 'auth.login success':
      counts.logins = 1;
      break;
    case 'auth.login failure':
      counts.loginFailures = 1;
      break;
    case 'user.create success':
      users = 1;
      break;
    case 'user.delete success':
    case 'user.erase success':
      users = -1;
      if (had2fa) usersWith2fa = -1;
      break;
    case 'auth.otp_confirm success':
      usersWith2fa = 1;
      break;
    case 'user.otp_reset success':
      if (had2fa) usersWith2fa = -1;
      break;
  }
  const activeUser = ok && USER_ID.test(event.actor) ? event.actor : undefined;
  if (Object.keys(counts).length === 0 && users === undefined && usersWith2fa === undefined && !activeUser)
    return undefined;
  return {
    countOnce,
    counts,
    ...(users === undefined ? {} : { users }),
    ...(usersWith2fa === undefined ? {} : { usersWith2fa }),
    ...(activeUser ? { activeUser } : {}),
  };
}

const DAY_MS = 86_400_000;

/** The period (`2026-11-27`, `2026-W48`, `2026-11`) an instant falls in, in UTC. */
export function periodOf(granularity: Granularity, at: string | Date): string {
  const iso = (typeof at === 'string' ? new Date(at) : at).toISOString();
  if (granularity === 'day') return iso.slice(0, 10);
  if (granularity === 'month') return iso.slice(0, 7);
  // ISO 8601 week: the week (Monday to Sunday) that holds the Thursday.
  const day = Date.parse(`${iso.slice(0, 10)}T00:00:00Z`);
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  const thursday = new Date(day + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The first day (UTC midnight) of a period. */
export function periodStart(granularity: Granularity, period: string): Date {
  if (granularity === 'day') return new Date(`${period}T00:00:00Z`);
  if (granularity === 'month') return new Date(`${period}-01T00:00:00Z`);
  const [year, week] = period.split('-W').map(Number) as [number, number];
  const jan4 = Date.UTC(year, 0, 4);
  const monday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
  return new Date(monday + (week - 1) * 7 * DAY_MS);
}

/** The periods from the one holding `from` to the one holding `to`, in order. */
export function periodsBetween(granularity: Granularity, from: Date, to: Date): string[] {
  const periods: string[] = [];
  let at = periodStart(granularity, periodOf(granularity, from));
  while (at.getTime() <= to.getTime()) {
    periods.push(periodOf(granularity, at));
    at =
      granularity === 'day'
        ? new Date(at.getTime() + DAY_MS)
        : granularity === 'week'
          ? new Date(at.getTime() + 7 * DAY_MS)
          : new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  }
  return periods;
}

/** The most periods one report spans. */
export const MAX_PERIODS: Record<Granularity, number> = { day: 366, week: 157, month: 120 };

/** Refuses reversed ranges and ranges of more periods than MAX_PERIODS (400 `invalid_range`). */
export function reportPeriods(granularity: Granularity, from: Date, to: Date): string[] {
  if (from.getTime() > to.getTime())
    throw new StempelError('invalid', 'invalid_range', '`from` is after `to`.');
  const first = periodStart(granularity, periodOf(granularity, from));
  // Counted without building the list, so a range of centuries costs nothing.
  const roughly = (to.getTime() - first.getTime()) / DAY_MS / { day: 1, week: 7, month: 31 }[granularity];
  const periods = roughly > MAX_PERIODS[granularity] + 5 ? [] : periodsBetween(granularity, from, to);
  if (periods.length === 0 || periods.length > MAX_PERIODS[granularity])
    throw new StempelError(
      'invalid',
      'invalid_range',
      `A report by ${granularity} spans at most ${MAX_PERIODS[granularity]} periods.`,
    );
  return periods;
}

/** One period's figures. */
export interface KpiRow {
  readonly period: string;
  readonly notarizations: number;
  readonly verifications: number;
  readonly receiptsFetched: number;
  readonly logins: number;
  readonly loginFailures: number;
  readonly activeUsers: number;
  /** At the end of the period. */
  readonly users: number;
  readonly usersWith2fa: number;
  /** usersWith2fa / users in percent, one decimal; 0 without users. */
  readonly twoFactorAdoptionPercent: number;
}

/** What the store keeps per period: counts, active users and the gauges' changes. */
export type StoredPeriod = Partial<Record<KpiCount | 'activeUsers' | 'users' | 'usersWith2fa', number>>;

/** Rows for `periods` from their stored counters, the gauges summed on from `base` (their value before). */
export function kpiRows(
  periods: readonly string[],
  stored: ReadonlyMap<string, StoredPeriod>,
  base: { users: number; usersWith2fa: number },
): KpiRow[] {
  let { users, usersWith2fa } = base;
  return periods.map((period) => {
    const s = stored.get(period) ?? {};
    users += s.users ?? 0;
    usersWith2fa += s.usersWith2fa ?? 0;
    return {
      period,
      notarizations: s.notarizations ?? 0,
      verifications: s.verifications ?? 0,
      receiptsFetched: s.receiptsFetched ?? 0,
      logins: s.logins ?? 0,
      loginFailures: s.loginFailures ?? 0,
      activeUsers: s.activeUsers ?? 0,
      users,
      usersWith2fa,
      twoFactorAdoptionPercent: users > 0 ? Math.round((usersWith2fa / users) * 1000) / 10 : 0,
    };
  });
}

/** Counts audit events into the key figures (the audit stream's consumer runs it). */
export class KpiCounter {
  constructor(private readonly store: Pick<KpiStore, 'apply'>) {}

  /** Each event once, however often it is delivered; returns how many changed a figure. */
  async count(events: readonly KpiEventFields[]): Promise<number> {
    const effects = events.flatMap((event) => {
      const effect = kpiEffect(event);
      return effect ? [{ effect, at: event.at }] : [];
    });
    if (effects.length > 0) await this.store.apply(effects);
    return effects.length;
  }
}
