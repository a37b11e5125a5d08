import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { parseCorsOrigins, STAGES, stageConfig, stageConfigFromContext } from '../../lib/stage-config';
import { settingsSchema } from '../../shared/core/settings';

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
