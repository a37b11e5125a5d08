import type { Granularity, KpiEffect, StoredPeriod } from '../core/kpis';

/** One user's counts in one period. */
export interface UserPeriod {
  readonly period: string;
  readonly userId: string;
  readonly figures: StoredPeriod;
}

/** Counters of the key figures (core/kpis.ts). */
export interface KpiStore {
  /** Applies one event's effect to the periods holding `at`, once per `effect.countOnce` (and active user and period). */
  apply(effect: KpiEffect, at: string): Promise<void>;
  /** The stored totals of the periods `first`..`last` (sortable period names), by period. */
  totals(granularity: Granularity, first: string, last: string): Promise<Map<string, StoredPeriod>>;
  /** The users and users with 2FA before `day` (YYYY-MM-DD). */
  gaugesBefore(day: string): Promise<{ users: number; usersWith2fa: number }>;
  /** Each user's counts in one period. */
  byUser(granularity: Granularity, period: string): Promise<UserPeriod[]>;
}
