import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type BatchWriteCommandInput, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Granularity, KPI_COUNTS, type KpiEffect, periodOf, type StoredPeriod } from '../core/kpis';
import type { KpiStore, UserPeriod } from '../ports/kpi-store';
import { kpisTable, resourceName } from '../tables';
import { dynamoDocumentClient, transactWrite } from './dynamo-client';

/** Marks of counted events outlive any redelivery of the stream (24 hours) by far. */
const EVENT_MARK_SECONDS = 7 * 86_400;
/** An active-user mark outlives its period: no event of a period older than this comes back. */
const ACTIVE_MARK_SECONDS = 400 * 86_400;
const GRANULARITIES: readonly Granularity[] = ['day', 'week', 'month'];
const FIGURES = [...KPI_COUNTS, 'users', 'usersWith2fa'] as const;

/** How many active-user marks a process remembers writing. */
const MARKS_REMEMBERED = 10_000;
/** DynamoDB's limit on the items of one transaction. */
const TRANSACTION_ITEMS = 100;

const hasFigures = (e: KpiEffect) =>
  Object.keys(e.counts).length > 0 || e.users !== undefined || e.usersWith2fa !== undefined;

const alreadyCounted = (err: unknown) =>
  err instanceof TransactionCanceledException &&
  err.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed';

/** Key figures in the Kpis table (see kpisTable). */
export class DynamoKpiStore implements KpiStore {
  /** Active-user marks this process has written (most recent last), so that each is written about once. */
  private readonly marked = new Set<string>();

  constructor(
    private readonly db = dynamoDocumentClient(),
    private readonly tableName = resourceName(kpisTable),
  ) {}

  private remember(id: string) {
    this.marked.add(id);
    if (this.marked.size > MARKS_REMEMBERED) this.marked.delete(this.marked.values().next().value as string);
  }

  async apply(effects: readonly { readonly effect: KpiEffect; readonly at: string }[]): Promise<void> {
    const nowS = Math.floor(Date.now() / 1000);
    // Active users: one mark per user and period, written as often as it comes (no condition, so
    // no conflicts); a report counts a period's marks.
    const active = new Map<string, Record<string, unknown>>();
    for (const { effect, at } of effects) {
      if (!effect.activeUser) continue;
      for (const g of GRANULARITIES) {
        const key = { pk: `ACTIVE#${g}#${periodOf(g, at)}`, sk: effect.activeUser };
        active.set(`${key.pk} ${key.sk}`, { ...key, expiresAt: nowS + ACTIVE_MARK_SECONDS });
      }
    }
    // A mark this process wrote already needs no second write (another process writes it again: harmless).
    const fresh = [...active.entries()].filter(([id]) => !this.marked.has(id));
    await this.putAll(fresh.map(([, item]) => item));
    for (const [id] of fresh) this.remember(id);
    // The rest: each group's marks and its summed counters in one transaction. A mark that exists
    // already (a redelivery) cancels it, and the group is then counted event by event.
    const counted = effects.filter(({ effect }) => hasFigures(effect));
    let group: typeof counted = [];
    for (const item of counted) {
      const next = [...group, item];
      if (next.length > 1 && this.transactionItems(next, nowS).length > TRANSACTION_ITEMS) {
        await this.applyGroup(group, nowS);
        group = [item];
      } else group = next;
    }
    if (group.length > 0) await this.applyGroup(group, nowS);
  }

  private async applyGroup(group: readonly { effect: KpiEffect; at: string }[], nowS: number) {
    try {
      await transactWrite(this.db, this.transactionItems(group, nowS));
    } catch (err) {
      if (!(err instanceof TransactionCanceledException) || group.length === 1) {
        if (alreadyCounted(err)) return;
        throw err;
      }
      for (const one of group) await this.applyGroup([one], nowS);
    }
  }

  /** The marks of a group's events (each key once) and the sums of their counters per item. */
  private transactionItems(group: readonly { effect: KpiEffect; at: string }[], nowS: number) {
    const marks = new Map<string, Record<string, unknown>>();
    const sums = new Map<string, { key: Record<string, string>; figures: Record<string, number> }>();
    const add = (key: Record<string, string>, figures: StoredPeriod) => {
      const id = `${key.pk} ${key.sk}`;
      const sum = sums.get(id) ?? { key, figures: {} };
      for (const [f, v] of Object.entries(figures)) if (v) sum.figures[f] = (sum.figures[f] ?? 0) + v;
      sums.set(id, sum);
    };
    for (const { effect, at } of group) {
      if (marks.has(effect.countOnce)) continue; // the same notarization twice in one batch
      const notarization = effect.countOnce.startsWith('notarization:');
      marks.set(effect.countOnce, {
        Put: {
          TableName: this.tableName,
          Item: {
            pk: `COUNTED#${effect.countOnce}`,
            sk: '-',
            ...(notarization ? {} : { expiresAt: nowS + EVENT_MARK_SECONDS }),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
      const totals: StoredPeriod = {
        ...effect.counts,
        ...(effect.users ? { users: effect.users } : {}),
        ...(effect.usersWith2fa ? { usersWith2fa: effect.usersWith2fa } : {}),
      };
      for (const g of GRANULARITIES) {
        const period = periodOf(g, at);
        add({ pk: `TOTAL#${g}`, sk: period }, totals);
        if (effect.activeUser && Object.keys(effect.counts).length > 0)
          add({ pk: `USER#${g}#${period}`, sk: effect.activeUser }, effect.counts);
      }
    }
    const updates = [...sums.values()]
      .map(({ key, figures }) => [key, Object.entries(figures).filter(([, v]) => v !== 0)] as const)
      .filter(([, entries]) => entries.length > 0)
      .map(([Key, entries]) => ({
        Update: {
          TableName: this.tableName,
          Key,
          UpdateExpression: `ADD ${entries.map((_, i) => `#f${i} :v${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
          ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
        },
      }));
    return [...marks.values(), ...updates];
  }

  /** Unconditional puts, 25 to a request, until DynamoDB has taken them all. */
  private async putAll(items: readonly Record<string, unknown>[]) {
    for (let i = 0; i < items.length; i += 25) {
      let requests: BatchWriteCommandInput['RequestItems'] = {
        [this.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
      };
      for (let attempt = 0; requests && Object.keys(requests).length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        requests = (await this.db.send(new BatchWriteCommand({ RequestItems: requests }))).UnprocessedItems;
      }
    }
  }

  async activeUsers(granularity: Granularity, period: string): Promise<number> {
    let count = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `ACTIVE#${granularity}#${period}` },
          Select: 'COUNT',
          ExclusiveStartKey,
        }),
      );
      count += page.Count ?? 0;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return count;
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
