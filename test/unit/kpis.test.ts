import { describe, expect, it } from 'vitest';
import {
  kpiEffect,
  kpiRows,
  periodOf,
  periodStart,
  periodsBetween,
  reportPeriods,
} from '../../shared/core/kpis';
import { csv } from '../../shared/core/reports';

const event = (action: string, outcome = 'success', extra: Record<string, unknown> = {}) => ({
  id: 'e1',
  at: '2026-11-27T10:00:00.000Z',
  action,
  actor: '0b0e3c1a-0000-4000-8000-000000000001',
  target: '-',
  outcome,
  ...extra,
});

describe('key figures', () => {
  it('names ISO 8601 weeks as ISO does, across year ends', () => {
    // Known ISO weeks: 2021-01-03 is in 2020-W53, 2024-12-30 in 2025-W01, 2026-11-27 in 2026-W48.
    expect(periodOf('week', '2021-01-03T12:00:00Z')).toBe('2020-W53');
    expect(periodOf('week', '2021-01-04T00:00:00Z')).toBe('2021-W01');
    expect(periodOf('week', '2024-12-30T00:00:00Z')).toBe('2025-W01');
    expect(periodOf('week', '2026-11-27T23:59:59Z')).toBe('2026-W48');
    expect(periodStart('week', '2025-W01').toISOString()).toBe('2024-12-30T00:00:00.000Z');
    expect(periodStart('week', '2020-W53').toISOString()).toBe('2020-12-28T00:00:00.000Z');
    expect(periodOf('month', '2026-11-27T10:00:00Z')).toBe('2026-11');
    expect(periodOf('day', '2026-11-27T23:59:59.999Z')).toBe('2026-11-27');
  });

  it('lists the periods of a range, inclusive at both ends', () => {
    const d = (s: string) => new Date(s);
    expect(periodsBetween('day', d('2026-02-27T10:00:00Z'), d('2026-03-01T00:00:00Z'))).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
    ]);
    expect(periodsBetween('month', d('2025-11-30T00:00:00Z'), d('2026-02-01T00:00:00Z'))).toEqual([
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
    ]);
    expect(periodsBetween('week', d('2026-12-30T00:00:00Z'), d('2027-01-05T00:00:00Z'))).toEqual([
      '2026-W53',
      '2027-W01',
    ]);
  });

  it('refuses reversed ranges and too many periods with invalid_range', () => {
    const d = (s: string) => new Date(s);
    expect(() => reportPeriods('day', d('2026-02-02T00:00:00Z'), d('2026-02-01T00:00:00Z'))).toThrow(
      expect.objectContaining({ code: 'invalid_range' }),
    );
    expect(() => reportPeriods('day', d('2025-01-01T00:00:00Z'), d('2026-06-01T00:00:00Z'))).toThrow(
      expect.objectContaining({ code: 'invalid_range' }),
    );
    expect(() => reportPeriods('month', d('1000-01-01T00:00:00Z'), d('9999-01-01T00:00:00Z'))).toThrow(
      expect.objectContaining({ code: 'invalid_range' }),
    );
    expect(reportPeriods('day', d('2025-01-01T00:00:00Z'), d('2025-12-31T23:59:59Z'))).toHaveLength(365);
    expect(reportPeriods('month', d('2016-01-01T00:00:00Z'), d('2025-12-31T00:00:00Z'))).toHaveLength(120);
  });

  it('reads what each audit event changes', () => {
    expect(kpiEffect(event('notarization.create', 'success', { target: 'notarization:n1' }))).toMatchObject({
      countOnce: 'notarization:n1',
      counts: { notarizations: 1 },
    });
    expect(kpiEffect(event('auth.login', 'failure', { actor: 'anonymous' }))).toEqual({
      countOnce: 'event:e1',
      counts: { loginFailures: 1 },
    });
    expect(
      kpiEffect(event('user.delete', 'success', { changes: { otp: { from: true, to: false } } })),
    ).toMatchObject({ users: -1, usersWith2fa: -1 });
    expect(
      kpiEffect(event('user.otp_reset', 'success', { changes: { otp: { from: false, to: false } } })),
    ).not.toHaveProperty('usersWith2fa');
    expect(kpiEffect(event('auth.otp_confirm'))).toMatchObject({ usersWith2fa: 1 });
    // A failed action makes no one active, and an operator's is no user.
    expect(kpiEffect(event('notarization.get', 'failure'))).toBeUndefined();
    expect(kpiEffect(event('settings.change', 'success', { actor: 'operator' }))).toBeUndefined();
  });

  it('sums the gauges on from their value before the first period', () => {
    const rows = kpiRows(
      ['a', 'b', 'c'],
      new Map([
        ['a', { users: 2, usersWith2fa: 1, notarizations: 3 }],
        ['c', { users: -1 }],
      ]),
      { users: 2, usersWith2fa: 0 },
    );
    expect(rows.map((r) => [r.users, r.usersWith2fa, r.twoFactorAdoptionPercent, r.notarizations])).toEqual([
      [4, 1, 25, 3],
      [4, 1, 25, 0],
      [3, 1, 33.3, 0],
    ]);
  });

  it('writes RFC 4180 CSV with formula cells neutralised', () => {
    expect(
      csv([
        ['name', 'n'],
        ['=HYPERLINK("x")', 1],
        ['+1', -2],
        ['a,"b"\nc', '@SUM(A1)'],
      ]),
    ).toBe('name,n\r\n"\'=HYPERLINK(""x"")",1\r\n\'+1,-2\r\n"a,""b""\nc",\'@SUM(A1)\r\n');
  });
});
