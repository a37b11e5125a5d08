import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EnvSettings } from '../../shared/adapters/env-settings';
import { SsmSettings } from '../../shared/adapters/ssm-settings';

const ssm = mockClient(SSMClient);

beforeEach(() => {
  ssm.reset();
  process.env.AWS_REGION ??= 'eu-central-1';
});

describe('settings from SSM Parameter Store', () => {
  it('reads one JSON String parameter and fills defaults', async () => {
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: JSON.stringify({ accessTokenTtlSeconds: 300 }) } });
    const settings = await new SsmSettings('/stempel/test/settings-a').load();
    expect(settings).toEqual({
      issuer: 'stempel',
      audience: 'stempel-api',
      accessTokenTtlSeconds: 300,
      maxBodyBytes: 16384,
      logOrigin: 'stempel.local/notarizations',
      auditLogOrigin: 'stempel.local/audit',
      sessionIdleSeconds: 28_800,
      sessionMaxSeconds: 604_800,
      lockoutThreshold: 5,
      lockoutUsernameThreshold: 50,
      lockoutBaseSeconds: 30,
      lockoutMaxSeconds: 900,
      maxIntegrationLagSeconds: 120,
      maxUploadBytes: 5 * 2 ** 30,
      multipartThresholdBytes: 100 * 2 ** 20,
      uploadExpirySeconds: 3600,
      downloadUrlSeconds: 300,
      maxSealDelaySeconds: 86_400,
      maxClockSkewSeconds: 5,
      tsaPolicyOid: '2.25.166997583374799921756625760470347785849',
      tsaAccuracyMillis: 1000,
      externalTsas: [],
      anchorIntervalSeconds: 600,
    });
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toMatchObject({
      Name: '/stempel/test/settings-a',
    });
  });

  it('refuses settings outside their bounds', async () => {
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: JSON.stringify({ accessTokenTtlSeconds: 86_400 }) } });
    await expect(new SsmSettings('/stempel/test/settings-b').load()).rejects.toThrow();
  });
});

describe('settings from the environment', () => {
  it('parses numbers and refuses nonsense', () => {
    expect(() => new EnvSettings({ STEMPEL_ACCESS_TOKEN_TTL_SECONDS: 'soon' })).toThrow();
    const env = { STEMPEL_ACCESS_TOKEN_TTL_SECONDS: '120', STEMPEL_TOKEN_ISSUER: 'https://stempel.example' };
    return expect(new EnvSettings(env).load()).resolves.toMatchObject({
      accessTokenTtlSeconds: 120,
      issuer: 'https://stempel.example',
    });
  });
});
