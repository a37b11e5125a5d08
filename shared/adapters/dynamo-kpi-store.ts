import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Granularity, KPI_COUNTS, type KpiEffect, periodOf, type StoredPeriod } from '../core/kpis';
import type { KpiStore, UserPeriod } from '../ports/kpi-store';
import { kpisTable, resourceName } from '../tables';
import { dynamoDocumentClient, transactWrite, updateIf } from './dynamo-client';

/** Marks of counted events outlive any redelivery of the stream (24 hours) by far. */
const EVENT_MARK_SECONDS = 7 * 86_400;
/** An active-user mark outlives its period: no event of a period older than this comes back. */
const ACTIVE_MARK_SECONDS = 400 * 86_400;
const GRANULARITIES: readonly Granularity[] = ['day', 'week', 'month'];
const FIGURES = [...KPI_COUNTS, 'activeUsers', 'users', 'usersWith2fa'] as const;

const alreadyCounted = (err: unknown) =>
  err instanceof TransactionCanceledException &&
  err.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed';

/** Key figures in the Kpis table (see kpisTable). */
export class DynamoKpiStore implements KpiStore {
  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(kpisTable),
  ) {}

  async apply(effect: KpiEffect, at: string): Promise<void> {
    const nowS = Math.floor(Date.now() / 1000);
    const add = (Key: Record<string, string>, figures: StoredPeriod) => {
      const entries = Object.entries(figures).filter(([, v]) => v !== undefined && v !== 0);
      return {
        Update: {
          TableName: this.tableName,
          Key,
          UpdateExpression: `ADD ${entries.map((_, i) => `#f${i} :v${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
          ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
        },
      };
    };
    const totals: StoredPeriod = {
      ...effect.counts,
      ...(effect.users ? { users: effect.users } : {}),
      ...(effect.usersWith2fa ? { usersWith2fa: effect.usersWith2fa } : {}),
    };
    const writes: Record<string, unknown>[] = [];
    for (const g of GRANULARITIES) {
      const period = periodOf(g, at);
      if (Object.keys(totals).length > 0) writes.push(add({ pk: `TOTAL#${g}`, sk: period }, totals));
      if (effect.activeUser && Object.keys(effect.counts).length > 0)
        writes.push(add({ pk: `USER#${g}#${period}`, sk: effect.activeUser }, effect.counts));
    }
    if (writes.length > 0) {
      // The mark and the counters in one transaction: counted once, or not at all.
      const notarization = effect.countOnce.startsWith('notarization:');
      const mark = {
        Put: {
          TableName: this.tableName,
          Item: {
            pk: `COUNTED#${effect.countOnce}`,
            sk: '-',
            ...(notarization ? {} : { expiresAt: nowS + EVENT_MARK_SECONDS }),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      };
      try {
        await transactWrite(this.db, [mark, ...writes]);
      } catch (err) {
        if (!alreadyCounted(err)) throw err;
      }
    }
    if (!effect.activeUser) return;
    for (const g of GRANULARITIES) {
      const period = periodOf(g, at);
      // Its own transaction per period: a user counted active today may be new to this month.
      await updateIf(
        this.db,
        {
          TableName: this.tableName,
          Key: { pk: `ACTIVE#${g}#${period}`, sk: effect.activeUser },
          UpdateExpression: 'SET expiresAt = :e',
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeValues: { ':e': nowS + ACTIVE_MARK_SECONDS },
        },
        [add({ pk: `TOTAL#${g}`, sk: period }, { activeUsers: 1 })],
      );
    }
  }

  async totals(granularity: Granularity, first: string, last: string): Promise<Map<string, StoredPeriod>> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: { ':pk': `TOTAL#${granularity}`, ':a': first, ':b': last },
    });
    return new Map(items.map((item) => [item.sk as string, figuresOf(item)]));
  }

  async gaugesBefore(day: string): Promise<{ users: number; usersWith2fa: number }> {
    const month = day.slice(0, 7);
    const [months, days] = await Promise.all([
      this.queryAll({
        KeyConditionExpression: 'pk = :pk AND sk < :m',
        ExpressionAttributeValues: { ':pk': 'TOTAL#month', ':m': month },
      }),
      this.queryAll({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':pk': 'TOTAL#day', ':a': `${month}-01`, ':b': day },
      }),
    ]);
    const sum = { users: 0, usersWith2fa: 0 };
    for (const item of [...months, ...days.filter((d) => (d.sk as string) < day)]) {
      sum.users += Number(item.users ?? 0);
      sum.usersWith2fa += Number(item.usersWith2fa ?? 0);
    }
    return sum;
  }

  async byUser(granularity: Granularity, period: string): Promise<UserPeriod[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `USER#${granularity}#${period}` },
    });
    return items.map((item) => ({ period, userId: item.sk as string, figures: figuresOf(item) }));
  }

  private async queryAll(input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>) {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({ TableName: this.tableName, ...input, ExclusiveStartKey }),
      );
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}

const figuresOf = (item: Record<string, unknown>): StoredPeriod =>
  Object.fromEntries(FIGURES.filter((f) => item[f] !== undefined).map((f) => [f, Number(item[f])]));
