import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { applyNagPacks } from '../../lib/nag';
import { type StageOverrides, stageConfig } from '../../lib/stage-config';
import { StempelStack } from '../../lib/stempel-stack';
import { certificatesPem, issueTsaChainSync } from '../../shared/core/certificates';

/** A built console (index.html, hashed assets/): synthesizing never runs `npm run build:web`. */
export const CONSOLE_FIXTURE = fileURLToPath(new URL('fixtures/console-dist', import.meta.url));

/** The stream- and schedule-run functions besides the API's. */
export const BACKGROUND_FUNCTIONS = [
  'integrator',
  'verifier',
  'anchor',
  'audit-export',
  'settings-audit',
  'webhook-dispatch',
  'webhook-delivery',
] as const;

/** The live log channel's functions: its WebSocket routes, and the push the integrator invokes. */
export const LIVE_FUNCTIONS = ['live', 'live-push'] as const;

export interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly template: Template;
}

export interface SynthOptions {
  readonly stage?: string;
  readonly corsOrigins?: string;
  /** Bundle the functions with esbuild (slow); otherwise CDK skips bundling and uses a placeholder asset. */
  readonly bundle?: boolean;
  /** Comma-separated alarm email addresses. */
  readonly alarmEmails?: string;
  /** An imported TSA chain (PEM): no CA of the stack's own then. */
  readonly tsaCertificateChainPem?: string;
  /** Days of S3 Object Lock on the audit export, instead of the stage's. */
  readonly auditRetentionDays?: string;
  /** The console's context values besides consoleAssets (the fixture, unless given). */
  readonly console?: Pick<
    StageOverrides,
    | 'consoleAssets'
    | 'consoleVerifierKey'
    | 'consoleDomainName'
    | 'consoleCertificateArn'
    | 'consoleWebAclArn'
    | 'consoleOriginSecretVersion'
  >;
}

/**
 * Builds the app the way bin/app.ts does (nag packs registered, so an
 * unacknowledged cdk-nag error already fails this synth) and synthesizes it.
 */
export function synthStempel({
  stage = 'dev',
  corsOrigins,
  bundle = false,
  alarmEmails,
  tsaCertificateChainPem,
  auditRetentionDays,
  console: consoleOverrides = {},
}: SynthOptions = {}): Synthesized {
  const app = new App({ context: bundle ? {} : { 'aws:cdk:bundling-stacks': [] } });
  const stack = new StempelStack(app, `Stempel-${stage}`, {
    config: stageConfig(stage, {
      corsOrigins,
      alarmEmails,
      tsaCertificateChainPem,
      auditRetentionDays,
      consoleAssets: CONSOLE_FIXTURE,
      ...consoleOverrides,
    }),
  });
  applyNagPacks(app);
  return { app, stack, template: Template.fromStack(stack) };
}

export interface Finding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

/** Every unacknowledged AwsSolutions and Serverless finding (errors and warnings) in the stack. */
export function nagFindings(stack: Stack): Finding[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack.validateScope(stack).violations.flatMap((v) =>
      v.violatingResources.map((r) => ({
        rule: v.ruleName,
        severity: v.severity ?? 'error',
        path: r.constructPath ?? '?',
      })),
    ),
  );
}

export interface Resource {
  readonly Properties: Record<string, unknown>;
  readonly [k: string]: unknown;
}

/** Resources of one type in the synthesized template, by logical id. */
export const resourcesOf = (template: Template, type: string) =>
  template.findResources(type) as Record<string, Resource>;

/** The one resource of this type (fails when there are none or several). */
export function only(template: Template, type: string): Resource {
  const all = Object.values(resourcesOf(template, type));
  if (all.length !== 1 || !all[0]) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

/** The logical id of the function whose POWERTOOLS_SERVICE_NAME is stempel-<name>. */
export function functionId(template: Template, name: string): string {
  const found = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).find(
    ([, r]) =>
      (r.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME === `stempel-${name}`,
  );
  if (!found) throw new Error(`no function ${name}`);
  return found[0];
}

/** The logical id of the role of the function stempel-<name>. */
export function roleId(template: Template, name: string): string {
  const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionId(template, name)] as Resource;
  return (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

/** Every logical id one resource refers to: Ref, Fn::GetAtt (also inside Fn::Sub strings) and DependsOn. */
export function referencesOf(resource: unknown): Set<string> {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const inner of v) walk(inner);
      return;
    }
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}/g)) if (m[1]) found.add(m[1]);
      return;
    }
    if (!v || typeof v !== 'object') return;
    for (const [k, inner] of Object.entries(v)) {
      if (k === 'Ref' && typeof inner === 'string') found.add(inner);
      else if (k === 'Fn::GetAtt' && Array.isArray(inner)) found.add(String(inner[0]));
      else if (k === 'DependsOn') for (const d of ([] as unknown[]).concat(inner)) found.add(String(d));
      else walk(inner);
    }
  };
  walk(resource);
  return found;
}

/**
 * A TSA chain (TSA certificate, then CA) as an operator's own CA would hand
 * it over, for `tsaCertificateChainPem`. Its TSA key is not the stack's (that
 * exists only once deployed), which the stack cannot tell at synth.
 */
export function importedChainPem(): string {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const tsa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = (key: KeyObject) => new Uint8Array(key.export({ format: 'der', type: 'spki' }));
  return certificatesPem(
    issueTsaChainSync({
      caName: 'Example Corp TSA CA',
      tsaName: 'Example Corp TSA for Stempel',
      caPublicKey: spki(ca.publicKey),
      tsaPublicKey: spki(tsa.publicKey),
      signWithCa: (tbs) => new Uint8Array(sign('sha384', tbs, ca.privateKey)),
      now: new Date(),
      caValidityDays: 3650,
      tsaValidityDays: 365,
    }),
  );
}
