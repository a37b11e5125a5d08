import { App, Duration, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StempelData } from '../../lib/data';
import { stageConfig } from '../../lib/stage-config';
import { FUNCTION_GROUPS } from '../../shared/http/routes';
import { ENV } from '../../shared/runtime/environment';
import { functionId, type Resource, referencesOf, resourcesOf, roleId, synthStempel } from './synth';

/*
 * The key policies of the restricted keys (the two Ed25519 signing keys and
 * the cursor MAC key): the account administers them through IAM, exactly the
 * signer roles may use them, and an explicit Deny keeps every other principal
 * from using them whatever its IAM policies say.
 */

const ALL_FUNCTIONS = [...FUNCTION_GROUPS, 'authorizer', 'integrator', 'verifier'] as const;
type FunctionName = (typeof ALL_FUNCTIONS)[number];

interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: { readonly AWS: unknown } | '*';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The restricted keys: logical id prefix, what using them means, and the only functions allowed to. */
const RESTRICTED = [
  { key: 'DataTokenSigningKey', use: ['kms:Sign'], users: ['auth'] },
  { key: 'DataLogSigningKey', use: ['kms:Sign'], users: ['integrator'] },
  { key: 'DataCursorKey', use: ['kms:GenerateMac', 'kms:VerifyMac'], users: ['users', 'notarizations'] },
] as const satisfies readonly { key: string; use: readonly string[]; users: readonly FunctionName[] }[];

/** Cryptographic operations and delegation: none of these may reach the account root's statement. */
const NEVER_FOR_THE_ACCOUNT = [
  'kms:Sign',
  'kms:Verify',
  'kms:GenerateMac',
  'kms:VerifyMac',
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyPair',
  'kms:DeriveSharedSecret',
  'kms:CreateGrant',
];

/** What the account (CloudFormation, operators) must keep being able to do, so it is never locked out. */
const ADMINISTRATION = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:UpdateKeyDescription',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ListResourceTags',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:GetKeyRotationStatus',
];

const ACCOUNT_ROOT = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
};

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Does an IAM action pattern (`*` and `?` wildcards, case-insensitive) match this action? */
const matches = (pattern: string, action: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  ).test(action);

const allows = (s: Statement, action: string) => list(s.Action).some((p) => matches(String(p), action));

/**
 * Whether `principal` (a role ARN as the template writes it) may perform
 * `action` with the key, given whether its own IAM policy allows it. A small
 * model of KMS policy evaluation for the statement shapes used here: an
 * applicable Deny wins; then an Allow naming the principal; then an Allow for
 * the account root, which delegates to IAM. Any other condition or principal
 * shape fails the test, so a new kind of statement needs this model extended.
 */
function decide(statements: Statement[], principal: unknown, action: string, iamAllows: boolean) {
  const names = (s: Statement) =>
    s.Principal === '*' ||
    same(s.Principal.AWS, '*') ||
    list(s.Principal.AWS).some((p) => same(p, principal));
  const conditionHolds = (s: Statement) => {
    if (!s.Condition) return true;
    return Object.entries(s.Condition).every(([operator, keys]) => {
      const arns = list(keys['aws:PrincipalArn']);
      if (Object.keys(keys).join() !== 'aws:PrincipalArn')
        throw new Error(`unmodelled condition ${operator}`);
      if (operator === 'ArnNotEquals' || operator === 'StringNotEquals')
        return !arns.some((a) => same(a, principal));
      if (operator === 'ArnEquals' || operator === 'StringEquals')
        return arns.some((a) => same(a, principal));
      throw new Error(`unmodelled condition operator ${operator}`);
    });
  };
  const applicable = statements.filter((s) => allows(s, action) && conditionHolds(s));
  if (applicable.some((s) => s.Effect === 'Deny' && names(s))) return 'denied';
  const allowed = applicable.filter((s) => s.Effect === 'Allow');
  if (allowed.some((s) => s.Principal !== '*' && list(s.Principal.AWS).some((p) => same(p, principal))))
    return 'allowed';
  if (allowed.some((s) => s.Principal !== '*' && same(s.Principal.AWS, ACCOUNT_ROOT)) && iamAllows)
    return 'allowed';
  return 'not allowed';
}

describe('restricted KMS keys (signing keys and the cursor key)', () => {
  let template: Template;
  beforeAll(() => {
    template = synthStempel({ stage: 'prod' }).template;
  }, 120_000);

  const keyOf = (prefix: string): [string, Resource] => {
    const found = Object.entries(resourcesOf(template, 'AWS::KMS::Key')).filter(([id]) =>
      new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id),
    );
    expect(found, prefix).toHaveLength(1);
    return found[0] as [string, Resource];
  };
  const statementsOf = (prefix: string) =>
    (keyOf(prefix)[1].Properties.KeyPolicy as { Statement: Statement[] }).Statement;
  const roleArn = (name: FunctionName) => ({ 'Fn::GetAtt': [roleId(template, name), 'Arn'] });

  describe.each(RESTRICTED)('$key', ({ key, use, users }) => {
    it('gives the account root administration through IAM, never kms:* or any use of the key', () => {
      const forRoot = statementsOf(key).filter(
        (s) => s.Principal !== '*' && same(s.Principal.AWS, ACCOUNT_ROOT),
      );
      expect(forRoot).toHaveLength(1);
      const [admin] = forRoot as [Statement];
      expect(admin.Effect).toBe('Allow');
      expect(admin.Condition).toBeUndefined();
      expect(list(admin.Action)).not.toContain('kms:*');
      for (const action of [...NEVER_FOR_THE_ACCOUNT, ...use])
        expect(allows(admin, action), action).toBe(false);
      for (const action of ADMINISTRATION) expect(allows(admin, action), action).toBe(true);
    });

    it(`allows ${use.join(' and ')} to exactly the roles of ${users.join(' and ')}`, () => {
      const named = statementsOf(key).filter(
        (s) => s.Effect === 'Allow' && s.Principal !== '*' && !same(s.Principal.AWS, ACCOUNT_ROOT),
      );
      expect(named).toHaveLength(1);
      const [allow] = named as [Statement];
      expect([...list(allow.Action)].sort()).toEqual([...use].sort());
      expect(allow.Condition).toBeUndefined();
      expect(allow.Principal).not.toBe('*');
      const principals = list((allow.Principal as { AWS: unknown }).AWS);
      expect(principals).toHaveLength(users.length);
      for (const user of users) expect(principals).toContainEqual(roleArn(user));
    });

    it(`denies ${use.join(' and ')} to every principal but those roles`, () => {
      const denies = statementsOf(key).filter((s) => s.Effect === 'Deny');
      expect(denies).toHaveLength(1);
      const [deny] = denies as [Statement];
      expect(deny.Principal).toEqual({ AWS: '*' });
      for (const action of use) expect(allows(deny, action), action).toBe(true);
      const exempt = list(deny.Condition?.ArnNotEquals?.['aws:PrincipalArn']);
      expect(exempt).toHaveLength(users.length);
      for (const user of users) expect(exempt).toContainEqual(roleArn(user));
    });

    it('lets no other function, administrator or the account root use it, whatever their IAM policies allow', () => {
      const statements = statementsOf(key);
      for (const action of use) {
        for (const name of ALL_FUNCTIONS) {
          const expected = (users as readonly string[]).includes(name) ? 'allowed' : 'denied';
          expect(decide(statements, roleArn(name), action, true), `${name} ${action}`).toBe(expected);
        }
        const admin = 'arn:aws:iam::123456789012:role/Admin'; // any other principal of the account
        expect(decide(statements, admin, action, true)).toBe('denied');
        expect(decide(statements, ACCOUNT_ROOT, action, true)).toBe('denied');
      }
    });

    it('is retained', () => {
      expect(keyOf(key)[1].DeletionPolicy).toBe('Retain');
      expect(keyOf(key)[1].UpdateReplacePolicy).toBe('Retain');
    });
  });

  it('still lets IAM policies grant the public keys (kms:GetPublicKey, kms:DescribeKey)', () => {
    for (const key of ['DataTokenSigningKey', 'DataLogSigningKey']) {
      const statements = statementsOf(key);
      for (const name of ['authorizer', 'log'] as const) {
        for (const action of ['kms:GetPublicKey', 'kms:DescribeKey'])
          expect(decide(statements, roleArn(name), action, true), `${key} ${name} ${action}`).toBe('allowed');
      }
      expect(decide(statements, roleArn('public'), 'kms:GetPublicKey', false)).toBe('not allowed');
    }
  });

  it('gives the cursor key to users and notarizations: environment variable and IAM statement', () => {
    const [cursorKey] = keyOf('DataCursorKey');
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy'));
    for (const name of ALL_FUNCTIONS) {
      const fn = functions[functionId(template, name)] as Resource;
      const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const role = roleId(template, name);
      const statements = policies
        .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
      const mac = statements.filter((s) => ['kms:GenerateMac', 'kms:VerifyMac'].some((a) => allows(s, a)));
      if (name === 'users' || name === 'notarizations') {
        expect(vars[ENV.cursorKeyId]).toEqual({ Ref: cursorKey });
        expect(mac).toEqual([
          {
            Effect: 'Allow',
            Action: ['kms:GenerateMac', 'kms:VerifyMac'],
            Resource: { 'Fn::GetAtt': [cursorKey, 'Arn'] },
          },
        ]);
      } else {
        expect(vars[ENV.cursorKeyId], name).toBeUndefined();
        expect(mac, name).toEqual([]);
        expect(JSON.stringify(statements), name).not.toContain(cursorKey);
      }
    }
  });

  it('leaves the data key to IAM, so only the roles whose policies allow it seal secrets with it', () => {
    const [, dataKey] = keyOf('DataDataKey');
    const statements = (dataKey.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
    expect(statements.filter((s) => s.Effect === 'Deny')).toEqual([]);
    // Owner keys (notarizations) and TOTP secrets (auth): the key policy defers to their IAM statements.
    for (const name of ['notarizations', 'auth'] as const)
      for (const action of ['kms:Encrypt', 'kms:Decrypt'])
        expect(decide(statements, roleArn(name), action, true), `${name} ${action}`).toBe('allowed');
    // A role whose IAM policy does not allow it gets nothing from the key policy itself.
    expect(decide(statements, roleArn('log'), 'kms:Encrypt', false)).toBe('not allowed');
  });

  it('has no circular dependency, and no signer role depends on a key that names it', () => {
    const resources = template.toJSON().Resources as Record<string, unknown>;
    const edges = new Map(
      Object.entries(resources).map(([id, r]) => [id, [...referencesOf(r)].filter((d) => d in resources)]),
    );
    const reaches = (from: string, to: string) => {
      const seen = new Set<string>();
      const stack = [...(edges.get(from) ?? [])];
      while (stack.length > 0) {
        const next = stack.pop() as string;
        if (next === to) return true;
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(...(edges.get(next) ?? []));
      }
      return false;
    };
    for (const id of Object.keys(resources)) expect(reaches(id, id), `${id} depends on itself`).toBe(false);
    for (const { key, users } of RESTRICTED) {
      const [keyId] = keyOf(key);
      for (const user of users) {
        expect(reaches(keyId, roleId(template, user)), `${key} names ${user}'s role`).toBe(true);
        expect(reaches(roleId(template, user), keyId), `${user}'s role depends on ${key}`).toBe(false);
      }
    }
  });

  it('refuses to synthesize a restricted key whose users were never named', () => {
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
    const stack = new Stack(app, 'Bare');
    new StempelData(stack, 'Data', {
      stage: 'dev',
      settings: stageConfig('dev').settings,
      accessLogExpiration: Duration.days(1),
      corsOrigins: [],
    });
    expect(() => app.synth()).toThrow(/TokenSigningKey: no role may use this key/);
  });
});
