import type { Granularity, KpiEffect, StoredPeriod } from '../core/kpis';

/** One user's counts in one period. */
export interface UserPeriod {
  readonly period: string;
  readonly userId: string;
  readonly figures: StoredPeriod;
}

/** Counters of the key figures (core/kpis.ts). */
export interface KpiStore {
  /** Applies events' effects to the periods holding their `at`, each once per `effect.countOnce`. */
  apply(effects: readonly { readonly effect: KpiEffect; readonly at: string }[]): Promise<void>;
  /** How many users were active in one period. */
  activeUsers(granularity: Granularity, period: string): Promise<number>;
  /** The stored totals of the periods `first`..`last` (sortable period names), by period. */
  totals(granularity: Granularity, first: string, last: string): Promise<Map<string, StoredPeriod>>;
  /** The users and users with 2FA before `day` (YYYY-MM-DD). */
  gaugesBefore(day: string): Promise<{ users: number; usersWith2fa: number }>;
  /** Each user's counts in one period. */
  byUser(granularity: Granularity, period: string): Promise<UserPeriod[]>;
}
