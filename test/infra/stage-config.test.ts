import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  parseAlarmEmails,
  parseAuditRetentionDays,
  parseCorsOrigins,
  parseTsaCertificateChain,
  STAGES,
  stageConfig,
  stageConfigFromContext,
} from '../../lib/stage-config';
import { caCertificate, certificatesPem, signCertificateSync } from '../../shared/core/certificates';
import { settingsSchema } from '../../shared/core/settings';
import { importedChainPem } from './synth';

describe('stage config', () => {
  it('defaults to dev when the context names no stage', () => {
    expect(stageConfigFromContext(new App().node).stage).toBe('dev');
  });

  it('reads the stage and CORS origins from the context', () => {
    const app = new App({
      context: { stage: 'prod', corsOrigins: 'https://a.example.com, https://b.example.com' },
    });
    const config = stageConfigFromContext(app.node);
    expect(config.stage).toBe('prod');
    expect(config.corsOrigins).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect(config.terminationProtection).toBe(true);
  });

  it('refuses an unknown stage with the list of known ones', () => {
    expect(() => stageConfig('staging')).toThrow(/unknown stage "staging".*dev\|prod/);
    expect(() => stageConfigFromContext(new App({ context: { stage: 'Prod' } }).node)).toThrow(
      /unknown stage/,
    );
  });

  it.each(STAGES)('%s has valid settings, sane limits and log retention', (stage) => {
    const config = stageConfig(stage);
    expect(settingsSchema.parse(config.settings)).toEqual(config.settings);
    expect(config.throttle.burstLimit).toBeGreaterThanOrEqual(config.throttle.rateLimit);
    expect(config.waf.authRequestsPerIp).toBeLessThan(config.waf.requestsPerIp);
    expect(config.waf.authRequestsPerIp).toBeGreaterThanOrEqual(10); // WAF's minimum rate limit
    expect(config.logRetention).toBeGreaterThan(0);
    expect(config.corsOrigins).toEqual([]);
  });

  it('gives each stage its own token issuer and log origin', () => {
    expect(stageConfig('dev').settings.issuer).not.toBe(stageConfig('prod').settings.issuer);
    expect(stageConfig('dev').settings.logOrigin).not.toBe(stageConfig('prod').settings.logOrigin);
  });

  it('takes the log origin from the context, and refuses an invalid one', () => {
    const app = new App({ context: { logOrigin: 'notary.example.com/log' } });
    expect(stageConfigFromContext(app.node).settings.logOrigin).toBe('notary.example.com/log');
    expect(() => stageConfig('dev', { logOrigin: 'has space' })).toThrow(/invalid settings for dev/);
  });
});

describe('audit retention', () => {
  it('locks the audit export a day on dev and seven years on prod', () => {
    expect(stageConfig('dev').auditRetentionDays).toBe(1);
    expect(stageConfig('prod').auditRetentionDays).toBe(2555);
  });

  it('takes whole days from the context, as a number or a string', () => {
    const app = new App({ context: { stage: 'prod', auditRetentionDays: '3650' } });
    expect(stageConfigFromContext(app.node).auditRetentionDays).toBe(3650);
    expect(stageConfig('dev', { auditRetentionDays: 30 }).auditRetentionDays).toBe(30);
    expect(parseAuditRetentionDays(undefined)).toBeUndefined();
    expect(parseAuditRetentionDays('')).toBeUndefined();
  });

  it.each([0, -1, 1.5, '7y', '1e3', 36_501, true])('refuses %s', (value) => {
    expect(() => parseAuditRetentionDays(value)).toThrow(/whole days from 1 to 36500/);
  });
});

describe('CORS origins', () => {
  it('is empty when unset or blank', () => {
    expect(parseCorsOrigins(undefined)).toEqual([]);
    expect(parseCorsOrigins('')).toEqual([]);
    expect(parseCorsOrigins(' , ')).toEqual([]);
  });

  it('accepts https origins and http only for localhost, without duplicates', () => {
    expect(parseCorsOrigins('https://a.example.com,http://localhost:5173,https://a.example.com')).toEqual([
      'https://a.example.com',
      'http://localhost:5173',
    ]);
  });

  it.each([
    ['*'],
    ['https://a.example.com/'],
    ['https://a.example.com/app'],
    ['http://a.example.com'],
    ['a.example.com'],
    ['https://*.example.com'],
  ])('refuses %s', (origin) => {
    expect(() => parseCorsOrigins(origin)).toThrow(/corsOrigins/);
  });

  it('refuses a non-string context value', () => {
    expect(() => parseCorsOrigins(['https://a.example.com'])).toThrow(/comma-separated string/);
  });
});

describe('alarm emails', () => {
  it('are none by default, and read from the context', () => {
    expect(stageConfig('prod').alarmEmails).toEqual([]);
    const app = new App({ context: { alarmEmails: 'ops@example.com, oncall@example.com,ops@example.com' } });
    expect(stageConfigFromContext(app.node).alarmEmails).toEqual(['ops@example.com', 'oncall@example.com']);
  });

  it.each([['ops'], ['ops@example'], ['a b@example.com']])('refuses %s', (email) => {
    expect(() => parseAlarmEmails(email)).toThrow(/alarmEmails/);
  });
});

describe('imported TSA certificate chain', () => {
  it('is absent by default: the stack is its own CA', () => {
    expect(stageConfig('prod').tsaCertificateChainPem).toBeUndefined();
  });

  it('takes a chain whose first certificate is for time-stamping only, each issued by the next', () => {
    const pem = importedChainPem();
    expect(stageConfig('prod', { tsaCertificateChainPem: pem }).tsaCertificateChainPem).toBe(pem);
  });

  it('reads it from a file named in the context', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stempel-chain-')), 'chain.pem');
    const pem = importedChainPem();
    writeFileSync(path, `Bag attributes and other text around it\n${pem}`);
    const app = new App({ context: { tsaCertificateChainFile: path } });
    expect(stageConfigFromContext(app.node).tsaCertificateChainPem).toBe(pem);
  });

  it('refuses text without certificates, a first certificate that is not for time-stamping, a broken chain', () => {
    expect(() => parseTsaCertificateChain('not a certificate')).toThrow(/no PEM certificate/);
    const [tsa, ca] = importedChainPem().match(
      /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g,
    ) as [string, string];
    expect(() => parseTsaCertificateChain(ca + tsa)).toThrow(/id-kp-timeStamping only/);
    const other = importedChainPem().match(
      /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g,
    )?.[1];
    expect(() => parseTsaCertificateChain(tsa + other)).toThrow(/not issued by certificate 2/);
    // A lone CA certificate is no TSA certificate either.
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = new Uint8Array(key.publicKey.export({ format: 'der', type: 'spki' }));
    const selfSigned = signCertificateSync(
      caCertificate({ commonName: 'x', publicKey: spki, notBefore: new Date(), validityDays: 1 }),
      () => new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
    );
    expect(() => parseTsaCertificateChain(certificatesPem([selfSigned]))).toThrow(/id-kp-timeStamping/);
  });

  it('has alarm thresholds and backup retentions for every stage, prod stricter and locked', () => {
    const dev = stageConfig('dev');
    const prod = stageConfig('prod');
    for (const config of [dev, prod])
      for (const value of Object.values(config.alarmThresholds)) expect(value).toBeGreaterThan(0);
    expect(prod.alarmThresholds.api5xxPercent).toBeLessThan(dev.alarmThresholds.api5xxPercent);
    expect(dev.backup).toEqual({ dailyRetentionDays: 7, monthlyRetentionDays: 0 });
    expect(prod.backup).toMatchObject({ dailyRetentionDays: 35, monthlyRetentionDays: 365 });
    expect(dev.backup.vaultLock).toBeUndefined();
    expect(prod.backup.vaultLock?.minRetentionDays).toBeLessThanOrEqual(prod.backup.dailyRetentionDays);
  });
});
