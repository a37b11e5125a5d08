import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { MethodLoggingLevel } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { type Settings, settingsSchema } from '../shared/core/settings';
import { parseVerifierKey } from '../shared/core/signed-note';

/** The deployment stages this app knows; `-c stage=<name>` picks one (cdk.json defaults to dev). */
export const STAGES = ['dev', 'prod'] as const;
export type StageName = (typeof STAGES)[number];

/** Everything that differs between stages. Nothing here is a secret. */
export interface StageConfig {
  readonly stage: StageName;
  /** API Gateway stage throttling for every method: steady requests per second and burst. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** WAF rate-based rules: most requests one IP may send per window (all paths, and /v1/auth/ only). */
  readonly waf: {
    readonly requestsPerIp: number;
    readonly authRequestsPerIp: number;
    readonly windowSeconds: 60 | 120 | 300 | 600;
  };
  /** Retention of every log group (functions, API access logs, WAF logs). */
  readonly logRetention: RetentionDays;
  /** What happens to log groups when the stack is deleted. Data (tables, bucket, keys) is always retained. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** How long S3 server access logs of the documents bucket are kept. */
  readonly accessLogExpiration: Duration;
  /**
   * What happens to the console's buckets (the built console and its
   * CloudFront logs) when the stack is deleted: emptied and deleted in dev,
   * kept in prod. Nothing in them is data the service cannot rebuild.
   */
  readonly consoleRemovalPolicy: RemovalPolicy;
  /** API Gateway execution logging level (never with request/response bodies). */
  readonly executionLogLevel: MethodLoggingLevel;
  /** Browser origins allowed by CORS; empty means no cross-origin access and no preflight routes. */
  readonly corsOrigins: readonly string[];
  /** Runtime settings, stored as JSON in the SSM parameter `/stempel/<stage>/settings`. */
  readonly settings: Settings;
  /** CloudFormation termination protection for the stack. */
  readonly terminationProtection: boolean;
  /** Who gets the alarms (SNS email subscriptions, each confirmed by its recipient); none by default. */
  readonly alarmEmails: readonly string[];
  /**
   * The TSA's certificate chain from the operator's own CA, as PEM (TSA
   * certificate first, for the stack's TSA key). When set, it goes into the
   * chain parameter as it is and the stack has no CA of its own; otherwise a
   * CA key of the stack certifies the TSA key at deploy time (lib/tsa.ts).
   */
  readonly tsaCertificateChainPem?: string;
  /**
   * Days every object of the audit export bucket is locked in S3 Object Lock
   * COMPLIANCE mode: no one, the account root included, can delete or
   * overwrite it before then, and the retention cannot be shortened.
   */
  readonly auditRetentionDays: number;
  /** Alarm thresholds (lib/alarms.ts, docs/operations.md). */
  readonly alarmThresholds: AlarmThresholds;
  /** AWS Backup of every DynamoDB table (lib/backup.ts), on top of point-in-time recovery. */
  readonly backup: BackupConfig;
  /** The web console's hosting (lib/console.ts, docs/console-hosting.md). */
  readonly console: ConsoleConfig;
}

/** Per-deployment choices for the web console's hosting; all optional. */
export interface ConsoleConfig {
  /**
   * A console already built (a directory with index.html and assets/),
   * deployed as it is; otherwise `cdk synth` builds web/ itself
   * (`npm run build:web`). Tests point this at a fixture.
   */
  readonly prebuiltAssets?: string;
  /** The log's verifier key, pinned into config.json for the console to check receipts against. */
  readonly verifierKey?: string;
  /** A custom domain for the distribution, with its ACM certificate (us-east-1). */
  readonly domain?: { readonly domainName: string; readonly certificateArn: string };
  /** A CloudFront-scope WAF web ACL (created in us-east-1) for the distribution. */
  readonly webAclArn?: string;
  /**
   * The version id of the origin secret to use, after a rotation
   * (docs/console-hosting.md): pinning it changes the distribution and the
   * web ACL in the same deployment, so both resolve the new value together.
   */
  readonly originSecretVersion?: string;
}

/** What the operational alarms of lib/alarms.ts compare against. */
export interface AlarmThresholds {
  /** Share of an API's requests answered 5xx in a five-minute period, in percent. */
  readonly api5xxPercent: number;
  /** p99 Duration of one API function group (ms) that alarms when exceeded for three periods. */
  readonly p99LatencyMs: number;
  /** Age of the oldest pending entry of either log when the integrator looks (s). */
  readonly integrationLagSeconds: number;
  /** Requests the WAF blocked in five minutes. */
  readonly wafBlockedRequests: number;
  /** Failed logins (`LoginFailed`) in five minutes. */
  readonly loginFailures: number;
  /** Logins refused because the name was locked (`LoginLocked`) in five minutes. */
  readonly loginLockouts: number;
  /** Lambda throttles of one function in five minutes. */
  readonly lambdaThrottles: number;
}

/** Daily and monthly AWS Backup recovery points of the tables. */
export interface BackupConfig {
  /** Days a daily recovery point is kept. */
  readonly dailyRetentionDays: number;
  /** Days a monthly recovery point is kept; 0 means no monthly rule. */
  readonly monthlyRetentionDays: number;
  /**
   * Vault lock (governance until the grace period ends, then compliance):
   * recovery points cannot be deleted before `minRetentionDays`, by anyone.
   */
  readonly vaultLock?: { readonly minRetentionDays: number; readonly changeableForDays: number };
}

type Preset = Omit<
  StageConfig,
  'stage' | 'corsOrigins' | 'settings' | 'alarmEmails' | 'tsaCertificateChainPem' | 'console'
> & {
  readonly settings: Partial<Settings>;
};

const PRESETS: Record<StageName, Preset> = {
  dev: {
    throttle: { rateLimit: 25, burstLimit: 50 },
    waf: { requestsPerIp: 1000, authRequestsPerIp: 100, windowSeconds: 300 },
    logRetention: RetentionDays.ONE_MONTH,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    accessLogExpiration: Duration.days(90),
    consoleRemovalPolicy: RemovalPolicy.DESTROY,
    executionLogLevel: MethodLoggingLevel.INFO,
    settings: { issuer: 'stempel-dev', logOrigin: 'stempel-dev/notarizations' },
    terminationProtection: false,
    // A day: dev exports are locked too, but must not pile up for years.
    auditRetentionDays: 1,
    alarmThresholds: {
      api5xxPercent: 5,
      p99LatencyMs: 5000,
      integrationLagSeconds: 120,
      wafBlockedRequests: 500,
      loginFailures: 100,
      loginLockouts: 20,
      lambdaThrottles: 10,
    },
    backup: { dailyRetentionDays: 7, monthlyRetentionDays: 0 },
  },
  prod: {
    throttle: { rateLimit: 200, burstLimit: 400 },
    waf: { requestsPerIp: 2000, authRequestsPerIp: 100, windowSeconds: 300 },
    logRetention: RetentionDays.ONE_YEAR,
    logRemovalPolicy: RemovalPolicy.RETAIN,
    accessLogExpiration: Duration.days(400),
    consoleRemovalPolicy: RemovalPolicy.RETAIN,
    executionLogLevel: MethodLoggingLevel.ERROR,
    settings: { issuer: 'stempel-prod', logOrigin: 'stempel-prod/notarizations' },
    terminationProtection: true,
    // Seven years (7 × 365 days).
    auditRetentionDays: 2555,
    alarmThresholds: {
      api5xxPercent: 1,
      p99LatencyMs: 3000,
      // Half of maxIntegrationLagSeconds (120 s): a warning before notarizations get 503 log_backpressure.
      integrationLagSeconds: 60,
      wafBlockedRequests: 1000,
      loginFailures: 50,
      loginLockouts: 10,
      lambdaThrottles: 1,
    },
    // The vault lock's minimum is the daily rule's retention: no recovery point can be deleted earlier.
    backup: {
      dailyRetentionDays: 35,
      monthlyRetentionDays: 365,
      vaultLock: { minRetentionDays: 35, changeableForDays: 3 },
    },
  },
};

const isStage = (s: string): s is StageName => (STAGES as readonly string[]).includes(s);

/**
 * Parses the `corsOrigins` context value (comma separated). Each entry must be
 * a bare origin such as `https://console.example.com` (no path, no wildcard);
 * plain http is accepted only for localhost.
 */
export function parseCorsOrigins(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (typeof raw !== 'string') throw new Error('context corsOrigins must be a comma-separated string');
  const origins = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new Error(`corsOrigins: "${origin}" is not an origin like https://console.example.com`);
    }
    const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
    const schemeOk = url.protocol === 'https:' || (local && url.protocol === 'http:');
    if (url.origin !== origin || !schemeOk || origin.includes('*')) {
      throw new Error(
        `corsOrigins: "${origin}" must be exactly scheme://host[:port], https (http only for localhost)`,
      );
    }
  }
  return [...new Set(origins)];
}

/** Parses the `alarmEmails` context value (comma separated addresses). */
export function parseAlarmEmails(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (typeof raw !== 'string') throw new Error('context alarmEmails must be a comma-separated string');
  const emails = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const email of emails)
    if (!/^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/.test(email))
      throw new Error(`alarmEmails: "${email}" is not an email address`);
  return [...new Set(emails)];
}

const ID_KP_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
/** SSM's largest Advanced String parameter; the stack picks the tier by size. */
const MAX_CHAIN_PEM = 8192;

/**
 * Checks an imported TSA chain (`tsaCertificateChainPem`): PEM certificates
 * only, the first for time-stamping alone (RFC 3161 §2.3), each issued by the
 * next. Whether the first certifies the stack's TSA key can only be seen once
 * the key exists: the tsa function's tokens would not verify.
 */
export function parseTsaCertificateChain(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw new Error('tsaCertificateChainPem must be PEM text');
  const blocks = [...raw.matchAll(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)].map(
    (m) => m[0],
  );
  if (blocks.length === 0) throw new Error('tsaCertificateChainPem: no PEM certificate');
  const pem = `${blocks.join('\n')}\n`;
  if (pem.length > MAX_CHAIN_PEM)
    throw new Error(`tsaCertificateChainPem: more than ${MAX_CHAIN_PEM} characters`);
  const certificates = blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new Error(`tsaCertificateChainPem: certificate ${i + 1} does not parse`);
    }
  });
  const [tsa] = certificates as [X509Certificate];
  const usage = tsa.keyUsage ?? [];
  if (usage.length !== 1 || usage[0] !== ID_KP_TIME_STAMPING)
    throw new Error(
      'tsaCertificateChainPem: the first certificate must have extendedKeyUsage id-kp-timeStamping only',
    );
  for (const [i, certificate] of certificates.entries()) {
    const issuer = certificates[i + 1];
    if (issuer && !certificate.checkIssued(issuer))
      throw new Error(`tsaCertificateChainPem: certificate ${i + 1} is not issued by certificate ${i + 2}`);
  }
  return pem;
}

/** The longest audit retention accepted: S3 Object Lock allows up to 100 years. */
const MAX_AUDIT_RETENTION_DAYS = 36_500;

/**
 * Parses the `auditRetentionDays` context value: whole days, 1 to 36500. A
 * number or its decimal string (`-c auditRetentionDays=3650`).
 */
export function parseAuditRetentionDays(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const days =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^\d+$/.test(raw.trim())
        ? Number(raw)
        : Number.NaN;
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_AUDIT_RETENTION_DAYS)
    throw new Error(`auditRetentionDays must be whole days from 1 to ${MAX_AUDIT_RETENTION_DAYS}`);
  return days;
}

const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** CloudFront only takes certificates from ACM in us-east-1. */
const CLOUDFRONT_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/;
/** A CloudFront-scope web ACL: WAFv2, us-east-1, `global`. */
const CLOUDFRONT_WEB_ACL_ARN =
  /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f-]{36}$/;

const optionalString = (name: string, raw: unknown): string | undefined => {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw new Error(`context ${name} must be a string`);
  return raw.trim();
};

/**
 * Parses the console's context values: `consoleAssets` (a built console
 * directory), `consoleVerifierKey`, `consoleDomainName` with
 * `consoleCertificateArn` (both or neither), `consoleWebAclArn` and
 * `consoleOriginSecretVersion`.
 */
export function parseConsoleConfig(overrides: StageOverrides): ConsoleConfig {
  const assets = optionalString('consoleAssets', overrides.consoleAssets);
  if (assets !== undefined && !existsSync(join(assets, 'index.html')))
    throw new Error(`consoleAssets: ${assets} is not a built console (no index.html in it)`);
  const verifierKey = optionalString('consoleVerifierKey', overrides.consoleVerifierKey);
  if (verifierKey !== undefined) {
    try {
      parseVerifierKey(verifierKey);
    } catch (err) {
      throw new Error(`consoleVerifierKey: ${(err as Error).message}`);
    }
  }
  const domainName = optionalString('consoleDomainName', overrides.consoleDomainName)?.toLowerCase();
  const certificateArn = optionalString('consoleCertificateArn', overrides.consoleCertificateArn);
  if ((domainName === undefined) !== (certificateArn === undefined))
    throw new Error('consoleDomainName and consoleCertificateArn go together: give both or neither');
  if (domainName !== undefined && !DOMAIN_NAME.test(domainName))
    throw new Error(`consoleDomainName: "${domainName}" is not a domain name such as console.example.com`);
  if (certificateArn !== undefined && !CLOUDFRONT_CERTIFICATE_ARN.test(certificateArn))
    throw new Error(
      'consoleCertificateArn must be an ACM certificate ARN in us-east-1 (CloudFront uses no other region)',
    );
  const webAclArn = optionalString('consoleWebAclArn', overrides.consoleWebAclArn);
  if (webAclArn !== undefined && !CLOUDFRONT_WEB_ACL_ARN.test(webAclArn))
    throw new Error(
      'consoleWebAclArn must be the ARN of a CLOUDFRONT-scope WAFv2 web ACL (us-east-1, global/webacl/…)',
    );
  const originSecretVersion = optionalString(
    'consoleOriginSecretVersion',
    overrides.consoleOriginSecretVersion,
  );
  if (originSecretVersion !== undefined && !/^[A-Za-z0-9-]{32,64}$/.test(originSecretVersion))
    throw new Error(
      'consoleOriginSecretVersion must be a Secrets Manager version id (the VersionId of put-secret-value)',
    );
  return {
    ...(assets !== undefined ? { prebuiltAssets: resolve(assets) } : {}),
    ...(originSecretVersion !== undefined ? { originSecretVersion } : {}),
    ...(verifierKey !== undefined ? { verifierKey } : {}),
    ...(domainName !== undefined && certificateArn !== undefined
      ? { domain: { domainName, certificateArn } }
      : {}),
    ...(webAclArn !== undefined ? { webAclArn } : {}),
  };
}

/** Per-deployment values from the CDK context (`-c name=value`). */
export interface StageOverrides {
  /** Comma-separated browser origins. */
  readonly corsOrigins?: unknown;
  /** Comma-separated email addresses that get the alarms. */
  readonly alarmEmails?: unknown;
  /** The TSA's certificate chain from the operator's own CA, as PEM text. */
  readonly tsaCertificateChainPem?: unknown;
  /**
   * The log's origin (checkpoint first line, verifier key name). It names the
   * log forever: set it to a domain you control before the first notarization.
   */
  readonly logOrigin?: unknown;
  /** Days the audit export is locked (COMPLIANCE), instead of the stage's default. */
  readonly auditRetentionDays?: unknown;
  /** A built console directory to deploy instead of building web/. */
  readonly consoleAssets?: unknown;
  /** The log verifier key for the console's config.json. */
  readonly consoleVerifierKey?: unknown;
  /** The console's custom domain name (with consoleCertificateArn). */
  readonly consoleDomainName?: unknown;
  /** ACM certificate ARN (us-east-1) for consoleDomainName. */
  readonly consoleCertificateArn?: unknown;
  /** A CloudFront-scope WAF web ACL ARN for the console's distribution. */
  readonly consoleWebAclArn?: unknown;
  /** The origin secret's version id to use, after a rotation. */
  readonly consoleOriginSecretVersion?: unknown;
}

/** The configuration of one stage, with the context's overrides. */
export function stageConfig(stage: string, overrides: StageOverrides = {}): StageConfig {
  if (!isStage(stage)) {
    throw new Error(`unknown stage "${stage}": pass -c stage=${STAGES.join('|')}`);
  }
  const { settings, ...preset } = PRESETS[stage];
  const { logOrigin } = overrides;
  if (logOrigin !== undefined && typeof logOrigin !== 'string')
    throw new Error('context logOrigin must be a string');
  const parsed = settingsSchema.safeParse({ ...settings, ...(logOrigin ? { logOrigin } : {}) });
  if (!parsed.success) throw new Error(`invalid settings for ${stage}: ${parsed.error.message}`);
  const consoleConfig = parseConsoleConfig(overrides);
  // A custom console domain is a literal, so its origin can join CORS without a dependency cycle:
  // the browser's presigned uploads and downloads go straight to the documents bucket, cross-origin.
  const consoleOrigin = consoleConfig.domain ? [`https://${consoleConfig.domain.domainName}`] : [];
  return {
    ...preset,
    stage,
    corsOrigins: [...new Set([...parseCorsOrigins(overrides.corsOrigins), ...consoleOrigin])],
    console: consoleConfig,
    settings: parsed.data,
    alarmEmails: parseAlarmEmails(overrides.alarmEmails),
    ...optional('tsaCertificateChainPem', parseTsaCertificateChain(overrides.tsaCertificateChainPem)),
    auditRetentionDays: parseAuditRetentionDays(overrides.auditRetentionDays) ?? preset.auditRetentionDays,
  };
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/**
 * Reads `stage` (default dev), `corsOrigins`, `logOrigin`, `alarmEmails`,
 * `auditRetentionDays`, the console's (parseConsoleConfig) and the imported TSA chain from the CDK context: `tsaCertificateChainFile` (a
 * PEM file, read at synth) or `tsaCertificateChainPem` (the PEM text itself).
 */
export function stageConfigFromContext(node: Node): StageConfig {
  const stage: unknown = node.tryGetContext('stage') ?? 'dev';
  if (typeof stage !== 'string') throw new Error('context stage must be a string');
  const chainFile: unknown = node.tryGetContext('tsaCertificateChainFile');
  if (chainFile !== undefined && typeof chainFile !== 'string')
    throw new Error('context tsaCertificateChainFile must be a path');
  return stageConfig(stage, {
    corsOrigins: node.tryGetContext('corsOrigins'),
    logOrigin: node.tryGetContext('logOrigin'),
    alarmEmails: node.tryGetContext('alarmEmails'),
    auditRetentionDays: node.tryGetContext('auditRetentionDays'),
    consoleAssets: node.tryGetContext('consoleAssets'),
    consoleVerifierKey: node.tryGetContext('consoleVerifierKey'),
    consoleDomainName: node.tryGetContext('consoleDomainName'),
    consoleCertificateArn: node.tryGetContext('consoleCertificateArn'),
    consoleWebAclArn: node.tryGetContext('consoleWebAclArn'),
    consoleOriginSecretVersion: node.tryGetContext('consoleOriginSecretVersion'),
    tsaCertificateChainPem: chainFile
      ? readFileSync(chainFile, 'utf8')
      : node.tryGetContext('tsaCertificateChainPem'),
  });
}
