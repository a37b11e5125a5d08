import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { MethodLoggingLevel } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { type Settings, settingsSchema } from '../shared/core/settings';

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
  /** API Gateway execution logging level (never with request/response bodies). */
  readonly executionLogLevel: MethodLoggingLevel;
  /** Browser origins allowed by CORS; empty means no cross-origin access and no preflight routes. */
  readonly corsOrigins: readonly string[];
  /** Runtime settings, stored as JSON in the SSM parameter `/stempel/<stage>/settings`. */
  readonly settings: Settings;
  /** CloudFormation termination protection for the stack. */
  readonly terminationProtection: boolean;
}

type Preset = Omit<StageConfig, 'stage' | 'corsOrigins' | 'settings'> & {
  readonly settings: Partial<Settings>;
};

const PRESETS: Record<StageName, Preset> = {
  dev: {
    throttle: { rateLimit: 25, burstLimit: 50 },
    waf: { requestsPerIp: 1000, authRequestsPerIp: 100, windowSeconds: 300 },
    logRetention: RetentionDays.ONE_MONTH,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    accessLogExpiration: Duration.days(90),
    executionLogLevel: MethodLoggingLevel.INFO,
    settings: { issuer: 'stempel-dev', logOrigin: 'stempel-dev/notarizations' },
    terminationProtection: false,
  },
  prod: {
    throttle: { rateLimit: 200, burstLimit: 400 },
    waf: { requestsPerIp: 2000, authRequestsPerIp: 100, windowSeconds: 300 },
    logRetention: RetentionDays.ONE_YEAR,
    logRemovalPolicy: RemovalPolicy.RETAIN,
    accessLogExpiration: Duration.days(400),
    executionLogLevel: MethodLoggingLevel.ERROR,
    settings: { issuer: 'stempel-prod', logOrigin: 'stempel-prod/notarizations' },
    terminationProtection: true,
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

/** Per-deployment values from the CDK context (`-c name=value`). */
export interface StageOverrides {
  /** Comma-separated browser origins. */
  readonly corsOrigins?: unknown;
  /**
   * The log's origin (checkpoint first line, verifier key name). It names the
   * log forever: set it to a domain you control before the first notarization.
   */
  readonly logOrigin?: unknown;
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
  return {
    ...preset,
    stage,
    corsOrigins: parseCorsOrigins(overrides.corsOrigins),
    settings: parsed.data,
  };
}

/** Reads `stage` (default dev), `corsOrigins` and `logOrigin` from the CDK context. */
export function stageConfigFromContext(node: Node): StageConfig {
  const stage: unknown = node.tryGetContext('stage') ?? 'dev';
  if (typeof stage !== 'string') throw new Error('context stage must be a string');
  return stageConfig(stage, {
    corsOrigins: node.tryGetContext('corsOrigins'),
    logOrigin: node.tryGetContext('logOrigin'),
  });
}
