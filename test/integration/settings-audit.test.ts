import { randomUUID } from 'node:crypto';
import { GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '../../shared/adapters/dynamo-audit-store';
import { SsmParameterHistory } from '../../shared/adapters/ssm-parameter-history';
import { settingsChanges, settingsEventId } from '../../shared/core/settings-audit';
import { ENV } from '../../shared/runtime/environment';

/**
 * Settings changes in the audit trail: SSM's parameter history (mocked: SSM
 * has no local stand-in) becomes `settings.change` events in the Audit table
 * of DynamoDB Local, each version once, however often the function runs.
 */
const ssm = mockClient(SSMClient);
const audit = new DynamoAuditStore();
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

beforeEach(() => {
  ssm.reset();
  process.env.AWS_REGION ??= 'eu-central-1';
});
afterEach(() => {
  delete process.env[ENV.settingsParameter];
});

async function run(name: string, operation = 'Update', id = randomUUID()) {
  process.env[ENV.settingsParameter] = name;
  const { handler } = await import('../../functions/settings-audit');
  const event = { id, detail: { name, operation } } as EventBridgeEvent<
    'Parameter Store Change',
    { name: string; operation: string }
  >;
  await handler(event, { functionName: 'settings-audit', awsRequestId: randomUUID() } as Context);
}

describe('settings changes in the audit trail', () => {
  it('names what changed, from and to', () => {
    expect(settingsChanges('{"a":1,"b":[1],"c":"x"}', '{"a":2,"b":[1],"d":true}')).toEqual({
      a: { from: 1, to: 2 },
      c: { from: 'x', to: null },
      d: { from: null, to: true },
    });
    expect(settingsChanges(undefined, '{"a":1}')).toEqual({ a: { from: null, to: 1 } });
    expect(settingsChanges('{}', 'not json')).toEqual({ value: { from: null, to: 'not json' } });
  });

  it('gives each version one stable UUID', () => {
    const id = settingsEventId('/stempel/dev/settings', 3);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(settingsEventId('/stempel/dev/settings', 3)).toBe(id);
    expect(settingsEventId('/stempel/dev/settings', 4)).not.toBe(id);
    expect(settingsEventId('/stempel/prod/settings', 3)).not.toBe(id);
  });

  it('reads every page of the history, oldest first', async () => {
    ssm
      .on(GetParameterHistoryCommand, { Name: '/p', NextToken: undefined })
      .resolves({
        Parameters: [{ Version: 2, Value: '{}', LastModifiedDate: minutesAgo(1) }],
        NextToken: 't',
      })
      .on(GetParameterHistoryCommand, { Name: '/p', NextToken: 't' })
      .resolves({
        Parameters: [
          {
            Version: 1,
            Value: '{}',
            LastModifiedDate: minutesAgo(2),
            LastModifiedUser: 'arn:aws:iam::1:user/x',
          },
        ],
      });
    const versions = await new SsmParameterHistory(new SSMClient({})).versions('/p');
    expect(versions.map((v) => [v.version, v.modifiedBy])).toEqual([
      [1, 'arn:aws:iam::1:user/x'],
      [2, undefined],
    ]);
    for (const call of ssm.commandCalls(GetParameterHistoryCommand))
      expect(call.args[0].input).toMatchObject({ Name: '/p', WithDecryption: false });
  });

  it('records each recent version once, with its diff and the operator only among the personal fields', async () => {
    const name = `/stempel/test-${randomUUID()}/settings`;
    const operator = 'arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com';
    ssm.on(GetParameterHistoryCommand).resolves({
      Parameters: [
        // Older than the look-back: sealing would quarantine it, so it is left alone.
        { Version: 1, Value: '{"maxBodyBytes":1000}', LastModifiedDate: minutesAgo(24 * 60) },
        { Version: 2, Value: '{"maxBodyBytes":2000}', LastModifiedDate: minutesAgo(5) },
        {
          Version: 3,
          Value: '{"maxBodyBytes":2000,"lockoutThreshold":3}',
          LastModifiedDate: minutesAgo(1),
          LastModifiedUser: operator,
        },
      ],
    });
    await run(name);
    await run(name); // EventBridge retried, or a second change was announced: nothing twice
    expect(await audit.get(settingsEventId(name, 1))).toBeUndefined();
    expect(await audit.get(settingsEventId(name, 2))).toMatchObject({
      action: 'settings.change',
      actor: 'operator',
      target: 'settings',
      changes: { maxBodyBytes: { from: 1000, to: 2000 } },
      requestId: `${'ssm:'}${name}:2`,
    });
    const third = await audit.get(settingsEventId(name, 3));
    expect(third).toMatchObject({
      changes: { lockoutThreshold: { from: null, to: 3 } },
      personal: { usernames: [operator] },
    });
    // The log commits to the operator's principal only through the salted hash.
    expect(third?.entry).not.toContain('alice');
    const from = minutesAgo(10).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const page = await audit.query({ from, to, action: 'settings.change', target: 'settings' }, 100);
    expect(page.items.filter((e) => e.requestId.startsWith(`ssm:${name}:`))).toHaveLength(2);
  });

  it('records a deletion of the parameter once per notice, and ignores other parameters', async () => {
    const name = `/stempel/test-${randomUUID()}/settings`;
    const notice = randomUUID();
    await run(name, 'Delete', notice);
    await run(name, 'Delete', notice);
    expect(await audit.get(settingsEventId(name, `deleted ${notice}`))).toMatchObject({
      action: 'settings.delete',
    });
    process.env[ENV.settingsParameter] = name;
    const { handler } = await import('../../functions/settings-audit');
    await handler(
      { id: randomUUID(), detail: { name: '/someone/else', operation: 'Update' } } as EventBridgeEvent<
        'Parameter Store Change',
        { name: string; operation: string }
      >,
      { functionName: 'settings-audit', awsRequestId: randomUUID() } as Context,
    );
    expect(ssm.commandCalls(GetParameterHistoryCommand)).toHaveLength(0);
  });
});
