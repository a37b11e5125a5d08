import { App, Duration, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StempelData } from '../../lib/data';
import { stageConfig } from '../../lib/stage-config';
import { FUNCTION_GROUPS } from '../../shared/http/routes';
import { ENV } from '../../shared/runtime/environment';
import {
  BACKGROUND_FUNCTIONS,
  functionId,
  importedChainPem,
  LIVE_FUNCTIONS,
  type Resource,
  referencesOf,
  resourcesOf,
  roleId,
  synthStempel,
} from './synth';

/*
 * The key policies of the restricted keys (the three Ed25519 signing keys, the
 * cursor MAC key, the TSA key and the TSA CA key): the account administers
 * them through IAM, exactly the signer roles may use them, and an explicit
 * Deny keeps every other principal from using them whatever its IAM policies
 * say.
 */

const ALL_FUNCTIONS = [...FUNCTION_GROUPS, 'authorizer', ...BACKGROUND_FUNCTIONS, ...LIVE_FUNCTIONS] as const;
/** The functions, and the deploy-time function that issues the TSA chain. */
const ALL_ROLES = [...ALL_FUNCTIONS, 'tsa-certificate'] as const;
type FunctionName = (typeof ALL_ROLES)[number];

interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: { readonly AWS: unknown } | '*';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The restricted keys: logical id prefix, and each use of them (actions) with the only functions allowed it. */
const RESTRICTED = [
  { key: 'DataTokenSigningKey', uses: [{ use: ['kms:Sign'], users: ['auth'] }] },
  { key: 'DataLogSigningKey', uses: [{ use: ['kms:Sign'], users: ['integrator'] }] },
  // The integrator seals both logs.
  { key: 'DataAuditLogSigningKey', uses: [{ use: ['kms:Sign'], users: ['integrator'] }] },
  {
    key: 'DataCursorKey',
    uses: [
      { use: ['kms:GenerateMac', 'kms:VerifyMac'], users: ['users', 'notarizations', 'audit', 'reports'] },
    ],
  },
  // Tokens are signed by the tsa function; the deploy-time issuer reads the public key to certify it.
  {
    key: 'DataTsaSigningKey',
    uses: [
      { use: ['kms:Sign'], users: ['tsa'] },
      { use: ['kms:GetPublicKey'], users: ['tsa-certificate'] },
    ],
  },
  { key: 'DataTsaCaKey', uses: [{ use: ['kms:GetPublicKey', 'kms:Sign'], users: ['tsa-certificate'] }] },
] as const satisfies readonly {
  key: string;
  uses: readonly { use: readonly string[]; users: readonly FunctionName[] }[];
}[];

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

  describe.each(RESTRICTED)('$key', ({ key, uses }) => {
    const allUses = uses.flatMap((u) => u.use);

    it('gives the account root administration through IAM, never kms:* or any use of the key', () => {
      const forRoot = statementsOf(key).filter(
        (s) => s.Principal !== '*' && same(s.Principal.AWS, ACCOUNT_ROOT),
      );
      expect(forRoot).toHaveLength(1);
      const [admin] = forRoot as [Statement];
      expect(admin.Effect).toBe('Allow');
      expect(admin.Condition).toBeUndefined();
      expect(list(admin.Action)).not.toContain('kms:*');
      // kms:GetPublicKey stays in the account's administration (kms:Get*) like on every key; where it is
      // a restricted use (the TSA keys), the key's Deny keeps it to its role (see below).
      for (const action of [...NEVER_FOR_THE_ACCOUNT, ...allUses.filter((a) => a !== 'kms:GetPublicKey')])
        expect(allows(admin, action), action).toBe(false);
      for (const action of ADMINISTRATION) expect(allows(admin, action), action).toBe(true);
    });

    it.each(uses.map((u) => [u.use.join(' and '), u.users.join(' and '), u] as const))(
      'allows %s to exactly the roles of %s',
      (_, __, { use, users }) => {
        const named = statementsOf(key).filter(
          (s) =>
            s.Effect === 'Allow' &&
            s.Principal !== '*' &&
            !same(s.Principal.AWS, ACCOUNT_ROOT) &&
            use.some((a) => allows(s, a)),
        );
        expect(named).toHaveLength(1);
        const [allow] = named as [Statement];
        expect([...list(allow.Action)].sort()).toEqual([...use].sort());
        expect(allow.Condition).toBeUndefined();
        expect(allow.Principal).not.toBe('*');
        const principals = list((allow.Principal as { AWS: unknown }).AWS);
        expect(principals).toHaveLength(users.length);
        for (const user of users) expect(principals).toContainEqual(roleArn(user));
      },
    );

    it('names no one else: one Allow and one Deny per use', () => {
      const named = statementsOf(key).filter(
        (s) => s.Effect === 'Allow' && s.Principal !== '*' && !same(s.Principal.AWS, ACCOUNT_ROOT),
      );
      expect(named).toHaveLength(uses.length);
      expect(statementsOf(key).filter((s) => s.Effect === 'Deny')).toHaveLength(uses.length);
    });

    it.each(uses.map((u) => [u.use.join(' and '), u.users.join(' and '), u] as const))(
      'denies %s to every principal but the roles of %s',
      (_, __, { use, users }) => {
        const denies = statementsOf(key).filter((s) => s.Effect === 'Deny' && use.some((a) => allows(s, a)));
        expect(denies).toHaveLength(1);
        const [deny] = denies as [Statement];
        expect(deny.Principal).toEqual({ AWS: '*' });
        for (const action of use) expect(allows(deny, action), action).toBe(true);
        const exempt = list(deny.Condition?.ArnNotEquals?.['aws:PrincipalArn']);
        expect(exempt).toHaveLength(users.length);
        for (const user of users) expect(exempt).toContainEqual(roleArn(user));
      },
    );

    it('lets no other function, administrator or the account root use it, whatever their IAM policies allow', () => {
      const statements = statementsOf(key);
      for (const { use, users } of uses) {
        for (const action of use) {
          for (const name of ALL_ROLES) {
            const expected = (users as readonly string[]).includes(name) ? 'allowed' : 'denied';
            expect(decide(statements, roleArn(name), action, true), `${name} ${action}`).toBe(expected);
          }
          const admin = 'arn:aws:iam::123456789012:role/Admin'; // any other principal of the account
          expect(decide(statements, admin, action, true)).toBe('denied');
          expect(decide(statements, ACCOUNT_ROOT, action, true)).toBe('denied');
        }
      }
    });

    it('is retained', () => {
      expect(keyOf(key)[1].DeletionPolicy).toBe('Retain');
      expect(keyOf(key)[1].UpdateReplacePolicy).toBe('Retain');
    });
  });

  it('still lets IAM policies grant the public keys (kms:GetPublicKey, kms:DescribeKey)', () => {
    for (const key of ['DataTokenSigningKey', 'DataLogSigningKey', 'DataAuditLogSigningKey']) {
      const statements = statementsOf(key);
      for (const name of ['authorizer', 'log'] as const) {
        for (const action of ['kms:GetPublicKey', 'kms:DescribeKey'])
          expect(decide(statements, roleArn(name), action, true), `${key} ${name} ${action}`).toBe('allowed');
      }
      expect(decide(statements, roleArn('public'), 'kms:GetPublicKey', false)).toBe('not allowed');
    }
  });

  it('gives the cursor key to users, notarizations and audit: environment variable and IAM statement', () => {
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
      if (['users', 'notarizations', 'audit', 'reports'].includes(name)) {
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
    for (const { key, uses } of RESTRICTED) {
      const [keyId] = keyOf(key);
      for (const user of uses.flatMap((u) => u.users)) {
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
      tsaCertificateAuthority: true,
      auditRetentionDays: 1,
    });
    expect(() => app.synth()).toThrow(/TokenSigningKey: no role may use this key/);
  });
});

describe("with a TSA chain imported from the operator's CA", () => {
  let template: Template;
  const pem = importedChainPem();
  beforeAll(() => {
    template = synthStempel({ stage: 'prod', tsaCertificateChainPem: pem }).template;
  }, 120_000);

  it('has no CA key, no issuer and no custom resource', () => {
    const keys = Object.keys(resourcesOf(template, 'AWS::KMS::Key'));
    expect(keys.filter((id) => id.startsWith('DataTsaCaKey'))).toEqual([]);
    expect(keys.filter((id) => id.startsWith('DataTsaSigningKey'))).toHaveLength(1);
    expect(() => functionId(template, 'tsa-certificate')).toThrow(/no function/);
    expect(Object.keys(template.toJSON().Resources).filter((id) => id.startsWith('TsaCertificates'))).toEqual(
      [expect.stringMatching(/^TsaCertificatesChain[0-9A-F]{8}$/)],
    );
    expect(template.toJSON().Outputs.TsaCaKeyId).toBeUndefined();
  });

  it('puts the PEM into the chain parameter as it is', () => {
    const parameter = Object.values(resourcesOf(template, 'AWS::SSM::Parameter')).find(
      (p) => p.Properties.Name === '/stempel/prod/tsa-certificates',
    );
    expect(parameter?.Properties).toMatchObject({ Type: 'String', Tier: 'Standard', Value: pem });
  });

  it('still lets only the tsa role sign with the TSA key, and leaves its public key to IAM', () => {
    const [, key] = Object.entries(resourcesOf(template, 'AWS::KMS::Key')).find(([id]) =>
      id.startsWith('DataTsaSigningKey'),
    ) as [string, Resource];
    const statements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
    const tsaRole = { 'Fn::GetAtt': [roleId(template, 'tsa'), 'Arn'] };
    expect(decide(statements, tsaRole, 'kms:Sign', true)).toBe('allowed');
    for (const name of ALL_FUNCTIONS.filter((n) => n !== 'tsa'))
      expect(decide(statements, { 'Fn::GetAtt': [roleId(template, name), 'Arn'] }, 'kms:Sign', true)).toBe(
        'denied',
      );
    expect(statements.filter((s) => s.Effect === 'Deny')).toHaveLength(1);
    expect(decide(statements, 'arn:aws:iam::123456789012:role/Admin', 'kms:GetPublicKey', true)).toBe(
      'allowed',
    );
  });
});
