import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { binaryPathPatterns, originOf, StempelConsole } from '../../lib/console';
import { SPA_REWRITE_FUNCTION, VIEWER_ADDRESS_FUNCTION } from '../../lib/console-functions';
import { parseConsoleConfig, stageConfig } from '../../lib/stage-config';
import { formatVerifierKey } from '../../shared/core/signed-note';
import { clientAddress, ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER } from '../../shared/http/client-address';
import {
  consoleSecurityHeaders,
  contentSecurityPolicy,
  HSTS_MAX_AGE_SECONDS,
} from '../../shared/http/console-headers';
import { routeList } from '../../shared/http/routes';
import { ENV } from '../../shared/runtime/environment';
import {
  CONSOLE_FIXTURE,
  functionId,
  nagFindings,
  only,
  type Resource,
  referencesOf,
  resourcesOf,
  type Synthesized,
  synthStempel,
} from './synth';

/** The managed CloudFront policies the behaviors must use (AWS's fixed ids). */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
const WEB_ACL_ARN =
  'arn:aws:wafv2:us-east-1:123456789012:global/webacl/stempel-console/12345678-1234-1234-1234-123456789012';

/** A CloudFront Function's handler, from the very source text the distribution runs. */
type CloudFrontRequest = { uri: string; headers: Record<string, { value: string }> };
const cloudFrontHandler = (code: string) =>
  new Function(`${code}\nreturn handler;`)() as (event: {
    request: CloudFrontRequest;
    viewer: { ip: string };
  }) => CloudFrontRequest;

/** A template value as text: Fn::Join, Fn::Select and Fn::Split evaluated, Ref and Fn::GetAtt written <Id> and <Id.Attribute>. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  if (v['Fn::Select']) {
    const [index, list] = v['Fn::Select'] as [number, { 'Fn::Split': [string, unknown] }];
    const [separator, text] = list['Fn::Split'];
    return render(text).split(separator)[index] ?? '';
  }
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v.Ref) return `<${v.Ref}>`;
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** The logical id of the one resource of this type whose id starts with `prefix`. */
function idOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOf(template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1 || !ids[0])
    throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ')}`);
  return ids[0];
}

interface Behavior {
  readonly PathPattern?: string;
  readonly TargetOriginId: string;
  readonly ViewerProtocolPolicy: string;
  readonly AllowedMethods?: string[];
  readonly CachePolicyId: string;
  readonly OriginRequestPolicyId?: string;
  readonly ResponseHeadersPolicyId?: unknown;
  readonly FunctionAssociations?: { EventType: string; FunctionARN: { 'Fn::GetAtt': [string, string] } }[];
}
interface Origin {
  readonly Id: string;
  readonly DomainName: unknown;
  readonly OriginPath?: unknown;
  readonly OriginAccessControlId?: unknown;
  readonly OriginCustomHeaders?: { HeaderName: string; HeaderValue: unknown }[];
  readonly S3OriginConfig?: { OriginAccessIdentity: string };
}
interface DistributionConfig {
  readonly DefaultRootObject: string;
  readonly DefaultCacheBehavior: Behavior;
  readonly CacheBehaviors: Behavior[];
  readonly Origins: Origin[];
  readonly CustomErrorResponses?: unknown;
  readonly Logging?: { Bucket: unknown; IncludeCookies: boolean };
  readonly Aliases?: string[];
  readonly ViewerCertificate?: Record<string, unknown>;
  readonly WebACLId?: string;
}
const distributionConfig = (template: Template) =>
  only(template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig as DistributionConfig;

/** The files of config.json's asset, found in the synthesized assembly. */
function deployedConfigJson(app: App): unknown[] {
  const outdir = app.outdir;
  return readdirSync(outdir)
    .filter((name) => name.startsWith('asset.') && existsSync(join(outdir, name, 'config.json')))
    .map((name) => JSON.parse(readFileSync(join(outdir, name, 'config.json'), 'utf8')));
}

/** Whether the template's resources, linked by Ref, GetAtt and DependsOn, contain a cycle. */
function findCycle(template: Template): string[] | undefined {
  const resources = template.toJSON().Resources as Record<string, unknown>;
  const edges = new Map(
    Object.entries(resources).map(([id, r]) => [id, [...referencesOf(r)].filter((d) => d in resources)]),
  );
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path, id];
    state.set(id, 'visiting');
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next, [...path, id]);
      if (cycle) return cycle;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('console security headers (shared/http/console-headers.ts)', () => {
  it('builds the strict CSP: own origin only, no inline script or eval, WebAssembly allowed', () => {
    const csp = contentSecurityPolicy({ https: true, connectSources: ['wss://live.example.com'] });
    expect(csp.split('; ')).toEqual([
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "font-src 'self'",
      "connect-src 'self' wss://live.example.com",
      "worker-src 'self' blob:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "object-src 'none'",
      'upgrade-insecure-requests',
    ]);
  });

  it('leaves out HSTS and upgrade-insecure-requests for the local http server, and nothing else', () => {
    const local = consoleSecurityHeaders({ https: false });
    const served = consoleSecurityHeaders({ https: true });
    expect(local['Strict-Transport-Security']).toBeUndefined();
    expect(local['Content-Security-Policy']).not.toContain('upgrade-insecure-requests');
    expect(served['Strict-Transport-Security']).toBe(
      `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains; preload`,
    );
    expect(HSTS_MAX_AGE_SECONDS).toBeGreaterThanOrEqual(365 * 86_400);
    const { 'Strict-Transport-Security': _, 'Content-Security-Policy': servedCsp, ...servedRest } = served;
    const { 'Content-Security-Policy': localCsp, ...localRest } = local;
    expect(localRest).toEqual(servedRest);
    expect(`${localCsp}; upgrade-insecure-requests`).toBe(servedCsp);
  });

  it('sends the other security headers', () => {
    const headers = consoleSecurityHeaders({ https: true });
    expect(headers).toMatchObject({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
    });
    const features = headers['Permissions-Policy']?.split(', ') ?? [];
    for (const denied of ['camera=()', 'microphone=()', 'geolocation=()', 'payment=()', 'usb=()'])
      expect(features).toContain(denied);
    expect(features.every((f) => /^[a-z-]+=\(\)$/.test(f))).toBe(true);
  });

  it('refuses connect sources that are keywords or would smuggle in another source or directive', () => {
    for (const bad of [
      "'unsafe-inline'",
      "'unsafe-eval'",
      'https://a.example *',
      'wss://a.example; script-src *',
      'a,b',
    ])
      expect(() => contentSecurityPolicy({ https: true, connectSources: [bad] }), bad).toThrow(/connect-src/);
  });
});

describe('CloudFront Functions (the deployed source text, evaluated)', () => {
  const rewrite = cloudFrontHandler(SPA_REWRITE_FUNCTION);
  const uriAfter = (uri: string) =>
    rewrite({ request: { uri, headers: {} }, viewer: { ip: '198.51.100.7' } }).uri;

  it.each([
    ['/', '/index.html'],
    ['/notarizations', '/index.html'],
    ['/notarizations/5f0c6a1e-7d1a-4b8e-9c1f-2a3b4c5d6e7f', '/index.html'],
    ['/admin/users/', '/index.html'],
  ])('serves the app for the route %s', (uri, expected) => {
    expect(uriAfter(uri)).toBe(expected);
  });

  it.each([
    '/index.html',
    '/config.json',
    '/favicon.svg',
    '/assets/index-3f9a1c2b.js',
    '/assets/hash-worker-7d1e0b4a.js',
  ])('fetches the file %s as it is', (uri) => {
    expect(uriAfter(uri)).toBe(uri);
  });

  it("sets the viewer address from CloudFront's connection, replacing what the client sent", () => {
    const handler = cloudFrontHandler(VIEWER_ADDRESS_FUNCTION);
    const request = handler({
      request: { uri: '/v1/auth/login', headers: { [VIEWER_ADDRESS_HEADER]: { value: '10.0.0.1' } } },
      viewer: { ip: '2001:db8::7' },
    });
    expect(request.headers[VIEWER_ADDRESS_HEADER]).toEqual({ value: '2001:db8::7' });
    expect(request.uri).toBe('/v1/auth/login');
  });
});

describe('client address (shared/http/client-address.ts)', () => {
  const event = (headers: Record<string, string>) => ({
    headers,
    requestContext: { identity: { sourceIp: '130.176.1.1' } } as never,
  });
  const trusted = { [ENV.viewerAddressTrusted]: 'true' };

  it('uses the viewer address only where the deployment says the WAF guards it', () => {
    expect(clientAddress(event({ [VIEWER_ADDRESS_HEADER]: '198.51.100.7' }), trusted)).toBe('198.51.100.7');
    expect(clientAddress(event({ 'X-Stempel-Viewer-Address': '2001:db8::7' }), trusted)).toBe('2001:db8::7');
    expect(clientAddress(event({ [VIEWER_ADDRESS_HEADER]: '198.51.100.7' }), {})).toBe('130.176.1.1');
  });

  it('falls back to the source address when the header is missing or not an address', () => {
    expect(clientAddress(event({}), trusted)).toBe('130.176.1.1');
    expect(clientAddress(event({ [VIEWER_ADDRESS_HEADER]: '198.51.100.7:443' }), trusted)).toBe(
      '130.176.1.1',
    );
    expect(clientAddress(event({ [VIEWER_ADDRESS_HEADER]: 'anyone' }), trusted)).toBe('130.176.1.1');
  });
});

describe('console context values (lib/stage-config.ts)', () => {
  it('accepts a custom domain with its us-east-1 certificate and adds its origin to CORS', () => {
    const config = stageConfig('dev', {
      corsOrigins: 'https://admin.example.com',
      consoleDomainName: 'Console.Example.com',
      consoleCertificateArn: CERTIFICATE_ARN,
      consoleAssets: CONSOLE_FIXTURE,
    });
    expect(config.console.domain).toEqual({
      domainName: 'console.example.com',
      certificateArn: CERTIFICATE_ARN,
    });
    expect(config.corsOrigins).toEqual(['https://admin.example.com', 'https://console.example.com']);
    expect(stageConfig('dev').corsOrigins).toEqual([]);
  });

  it.each([
    [{ consoleDomainName: 'console.example.com' }, /go together/],
    [{ consoleCertificateArn: CERTIFICATE_ARN }, /go together/],
    [
      {
        consoleDomainName: 'console.example.com',
        consoleCertificateArn: CERTIFICATE_ARN.replace('us-east-1', 'eu-central-1'),
      },
      /us-east-1/,
    ],
    [
      { consoleDomainName: 'https://console.example.com', consoleCertificateArn: CERTIFICATE_ARN },
      /not a domain/,
    ],
    [{ consoleWebAclArn: WEB_ACL_ARN.replace('global', 'regional') }, /CLOUDFRONT-scope/],
    [{ consoleVerifierKey: 'not-a-key' }, /consoleVerifierKey/],
    [{ consoleAssets: '/nonexistent/console' }, /not a built console/],
    [{ consoleOriginSecretVersion: 'AWSCURRENT' }, /version id/],
  ])('refuses %j', (overrides, message) => {
    expect(() => parseConsoleConfig(overrides)).toThrow(message);
  });
});

describe('console hosting in the stack (dev)', () => {
  let synthesized: Synthesized;
  let template: Template;
  let config: DistributionConfig;
  let bucketId: string;
  let distributionId: string;
  beforeAll(() => {
    synthesized = synthStempel({ stage: 'dev' });
    template = synthesized.template;
    config = distributionConfig(template);
    bucketId = idOf(template, 'AWS::S3::Bucket', 'ConsoleBucket');
    distributionId = idOf(template, 'AWS::CloudFront::Distribution', 'ConsoleDistribution');
  }, 120_000);

  it('keeps the console in a private, encrypted, TLS-only bucket with access logs, emptied and deleted with a dev stack', () => {
    const bucket = resourcesOf(template, 'AWS::S3::Bucket')[bucketId] as Resource;
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: expect.stringMatching(/^DataAccessLogs/) },
        LogFilePrefix: 'console/',
      },
    });
    expect(bucket.DeletionPolicy).toBe('Delete');
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
  });

  it('lets only this distribution read objects (OAC), and nothing in without TLS 1.2', () => {
    const policy = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy')).find(
      (p) => (p.Properties.Bucket as { Ref: string }).Ref === bucketId,
    ) as Resource;
    const statements = (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    const readers = allows.filter((s) => JSON.stringify(s.Principal).includes('cloudfront.amazonaws.com'));
    expect(readers).toEqual([
      {
        Action: 's3:GetObject',
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Resource: expect.anything(),
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      },
    ]);
    const condition = readers[0]?.Condition as { StringEquals: Record<string, unknown> };
    expect(render(condition.StringEquals['AWS:SourceArn'])).toBe(
      `arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<${distributionId}>`,
    );
    // The only other allowed principal is CDK's auto-delete function of a dev stack, never anyone public.
    for (const s of allows.filter((s) => !readers.includes(s)))
      expect(JSON.stringify(s.Principal)).toContain('CustomS3AutoDeleteObjectsCustomResourceProviderRole');
    expect(JSON.stringify(statements)).not.toContain('"Principal":"*"');
    expect(JSON.stringify(statements)).toContain('"aws:SecureTransport":"false"');
    expect(JSON.stringify(statements)).toContain('"s3:TlsVersion":1.2');
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      },
    });
    const s3Origin = config.Origins.find((o) => o.Id === config.DefaultCacheBehavior.TargetOriginId);
    expect(render(s3Origin?.DomainName)).toBe(`<${bucketId}.RegionalDomainName>`);
    expect(s3Origin?.OriginAccessControlId).toBeDefined();
    expect(s3Origin?.S3OriginConfig?.OriginAccessIdentity).toBe('');
  });

  it('serves the app from the bucket: HTTPS, cached per object headers, SPA routes by function, no custom error responses', () => {
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.CustomErrorResponses).toBeUndefined();
    const behavior = config.DefaultCacheBehavior;
    expect(behavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: ['GET', 'HEAD'],
      CachePolicyId: CACHING_OPTIMIZED,
      ResponseHeadersPolicyId: {
        Ref: idOf(template, 'AWS::CloudFront::ResponseHeadersPolicy', 'ConsoleSecurityHeaders'),
      },
    });
    const [association] = behavior.FunctionAssociations ?? [];
    expect(behavior.FunctionAssociations).toHaveLength(1);
    expect(association?.EventType).toBe('viewer-request');
    const fn = resourcesOf(template, 'AWS::CloudFront::Function')[
      association?.FunctionARN['Fn::GetAtt'][0] ?? ''
    ];
    expect(fn?.Properties).toMatchObject({
      FunctionCode: SPA_REWRITE_FUNCTION,
      FunctionConfig: { Runtime: 'cloudfront-js-2.0' },
      AutoPublish: true,
    });
  });

  it('sends /v1/* to the REST API stage: uncached, every method, every viewer header but Host, the viewer address and the origin secret', () => {
    const api = config.CacheBehaviors.find((b) => b.PathPattern === '/v1/*') as Behavior;
    expect(api).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
    });
    expect(api.ResponseHeadersPolicyId).toBeUndefined();
    const fnId = api.FunctionAssociations?.[0]?.FunctionARN['Fn::GetAtt'][0] ?? '';
    expect(resourcesOf(template, 'AWS::CloudFront::Function')[fnId]?.Properties.FunctionCode).toBe(
      VIEWER_ADDRESS_FUNCTION,
    );
    const origin = config.Origins.find((o) => o.Id === api.TargetOriginId) as Origin;
    const apiId = idOf(template, 'AWS::ApiGateway::RestApi', 'ApiCD79');
    expect(render(origin.DomainName)).toBe(`<${apiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>`);
    expect(render(origin.OriginPath)).toMatch(/^\/<ApiDeploymentStagedev[0-9A-F]{8}>$/);
    const secretId = idOf(template, 'AWS::SecretsManager::Secret', 'ConsoleOriginSecret');
    expect(origin.OriginCustomHeaders?.map((h) => [h.HeaderName, render(h.HeaderValue)])).toEqual([
      [ORIGIN_VERIFY_HEADER, `{{resolve:secretsmanager:<${secretId}>:SecretString:::}}`],
    ]);
  });

  it('sends the binary-only routes to the binary API, before /v1/*', () => {
    const patterns = config.CacheBehaviors.map((b) => b.PathPattern);
    const binary = routeList().filter(([, r]) => r.binary === 'only');
    expect(binary.length).toBeGreaterThan(0);
    expect(binaryPathPatterns()).toEqual(expect.arrayContaining(['/v1/tsa', '/v1/log/tile/*']));
    expect(patterns).toEqual([...binaryPathPatterns(), '/v1/*']);
    const tilesApiId = idOf(template, 'AWS::ApiGateway::RestApi', 'TilesApi');
    for (const behavior of config.CacheBehaviors.filter((b) => b.PathPattern !== '/v1/*')) {
      const origin = config.Origins.find((o) => o.Id === behavior.TargetOriginId) as Origin;
      expect(render(origin.DomainName)).toBe(`<${tilesApiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>`);
      expect(render(origin.OriginPath)).toMatch(/^\/<TilesApiDeploymentStagedev[0-9A-F]{8}>$/);
      expect(behavior.CachePolicyId).toBe(CACHING_DISABLED);
      expect(behavior.OriginRequestPolicyId).toBe(ALL_VIEWER_EXCEPT_HOST_HEADER);
      expect(origin.OriginCustomHeaders?.[0]?.HeaderName).toBe(ORIGIN_VERIFY_HEADER);
    }
  });

  it('answers with exactly the shared security headers, connect-src naming the documents bucket', () => {
    const policy = only(template, 'AWS::CloudFront::ResponseHeadersPolicy').Properties
      .ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: {
        ContentSecurityPolicy: { ContentSecurityPolicy: unknown; Override: boolean };
        StrictTransportSecurity: {
          AccessControlMaxAgeSec: number;
          IncludeSubdomains: boolean;
          Preload: boolean;
        };
        ContentTypeOptions: { Override: boolean };
        FrameOptions: { FrameOption: string };
        ReferrerPolicy: { ReferrerPolicy: string };
      };
      CustomHeadersConfig: { Items: { Header: string; Value: string; Override: boolean }[] };
    };
    const documents = idOf(template, 'AWS::S3::Bucket', 'DataDocuments');
    const liveApi = idOf(template, 'AWS::ApiGatewayV2::Api', 'LiveApi');
    const expected = consoleSecurityHeaders({
      https: true,
      connectSources: [
        `https://<${documents}.DomainName>`,
        `https://<${documents}.RegionalDomainName>`,
        `wss://<${liveApi}>.execute-api.<AWS::Region>.<AWS::URLSuffix>`,
      ],
    });
    const security = policy.SecurityHeadersConfig;
    const hsts = security.StrictTransportSecurity;
    const served = {
      'Content-Security-Policy': render(security.ContentSecurityPolicy.ContentSecurityPolicy),
      'Strict-Transport-Security': `max-age=${hsts.AccessControlMaxAgeSec}${hsts.IncludeSubdomains ? '; includeSubDomains' : ''}${hsts.Preload ? '; preload' : ''}`,
      ...(security.ContentTypeOptions.Override ? { 'X-Content-Type-Options': 'nosniff' } : {}),
      'X-Frame-Options': security.FrameOptions.FrameOption,
      'Referrer-Policy': security.ReferrerPolicy.ReferrerPolicy,
      ...Object.fromEntries(policy.CustomHeadersConfig.Items.map((h) => [h.Header, h.Value])),
    };
    expect(served).toEqual(expected);
    const scriptSrc = served['Content-Security-Policy'].split('; ').find((d) => d.startsWith('script-src'));
    expect(scriptSrc).toBe("script-src 'self' 'wasm-unsafe-eval'");
    expect(served['Content-Security-Policy']).not.toContain('unsafe-inline');
    expect(policy.CustomHeadersConfig.Items.every((h) => h.Override)).toBe(true);
  });

  it('deploys hashed assets immutable and kept, then index.html, config.json and the rest revalidated and pruned', () => {
    const deployments = resourcesOf(template, 'Custom::CDKBucketDeployment');
    const assetsId = idOf(template, 'Custom::CDKBucketDeployment', 'ConsoleDeployAssets');
    const entryId = idOf(template, 'Custom::CDKBucketDeployment', 'ConsoleDeployEntry');
    expect(Object.keys(deployments)).toHaveLength(2);
    expect(deployments[assetsId]?.Properties).toMatchObject({
      DestinationBucketName: { Ref: bucketId },
      Exclude: ['*'],
      Include: ['assets/*'],
      Prune: false,
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
    });
    expect(deployments[entryId]?.Properties).toMatchObject({
      DestinationBucketName: { Ref: bucketId },
      Exclude: ['assets/*'],
      Prune: true,
      SystemMetadata: { 'cache-control': 'no-cache' },
    });
    expect(deployments[entryId]?.Properties.SourceObjectKeys).toHaveLength(2);
    expect(referencesOf(deployments[entryId])).toContain(assetsId);
  });

  it('writes config.json: same-origin API, the live WebSocket URL, no key unless given, the stage', () => {
    expect(deployedConfigJson(synthesized.app)).toEqual([
      {
        apiBase: '',
        liveUrl: expect.stringMatching(/^wss:\/\/.+\.execute-api\..+\/dev$/),
        verifierKey: null,
        stage: 'dev',
      },
    ]);
  });

  it('copies the build with a role of its own: no AWS managed policy, logs to its own group only', () => {
    const deployFunction = Object.entries(resourcesOf(template, 'AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('CustomCDKBucketDeployment'),
    )?.[1] as Resource;
    const roleId = (deployFunction.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    expect(roleId).toMatch(/^ConsoleDeployRole/);
    const role = resourcesOf(template, 'AWS::IAM::Role')[roleId] as Resource;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
    const logs = statements.filter((s) => JSON.stringify(s.Action).includes('logs:'));
    expect(logs).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ConsoleDeployLogs/), 'Arn'] },
      },
    ]);
    expect(JSON.stringify(statements)).not.toContain('cloudfront:');
  });

  it('logs viewer requests to a bucket of its own without cookies', () => {
    expect(config.Logging?.IncludeCookies).toBe(false);
    expect(render(config.Logging?.Bucket)).toMatch(/^<ConsoleLogs[0-9A-F]{8}\.RegionalDomainName>$/);
    const logsId = idOf(template, 'AWS::S3::Bucket', 'ConsoleLogs');
    expect(resourcesOf(template, 'AWS::S3::Bucket')[logsId]?.Properties).toMatchObject({
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 90, Status: 'Enabled' }] },
    });
  });

  it('blocks a viewer address without the origin secret, and rate-limits console traffic per viewer', () => {
    const acl = only(template, 'AWS::WAFv2::WebACL');
    const rules = acl.Properties.Rules as {
      Name: string;
      Priority: number;
      Action?: { Block?: object };
      Statement: Record<string, Record<string, unknown>>;
    }[];
    const [first] = rules;
    expect(first?.Name).toBe('viewer-address-requires-origin-secret');
    expect(first?.Priority).toBe(0);
    expect(first?.Action).toEqual({ Block: {} });
    const proof = JSON.stringify(first?.Statement);
    expect(proof).toContain(`"Name":"${VIEWER_ADDRESS_HEADER}"`);
    expect(proof).toContain('"NotStatement"');
    expect(proof).toContain(`"Name":"${ORIGIN_VERIFY_HEADER}"`);
    expect(proof).toContain('{{resolve:secretsmanager:');
    const priorities = rules.map((r) => r.Priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
    expect(new Set(priorities).size).toBe(priorities.length);

    const rate = (name: string) => rules.find((r) => r.Name === name)?.Statement.RateBasedStatement;
    for (const [prefix, limit] of [
      ['rate-limit-auth', 100],
      ['rate-limit', 1000],
    ] as const) {
      expect(rate(`${prefix}-per-ip`)).toMatchObject({ AggregateKeyType: 'IP', Limit: limit });
      expect(JSON.stringify(rate(`${prefix}-per-ip`)?.ScopeDownStatement)).toContain('"NotStatement"');
      expect(rate(`${prefix}-per-viewer`)).toMatchObject({
        AggregateKeyType: 'FORWARDED_IP',
        Limit: limit,
        ForwardedIPConfig: { HeaderName: VIEWER_ADDRESS_HEADER, FallbackBehavior: 'MATCH' },
      });
      const viewerScope = JSON.stringify(rate(`${prefix}-per-viewer`)?.ScopeDownStatement);
      expect(viewerScope).toContain(`"Name":"${ORIGIN_VERIFY_HEADER}"`);
      expect(viewerScope).not.toContain('"NotStatement"');
    }
    expect(JSON.stringify(rate('rate-limit-auth-per-viewer'))).toContain('/v1/auth/');

    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [
        { SingleHeader: { Name: 'authorization' } },
        { SingleHeader: { Name: 'cookie' } },
        { SingleHeader: { Name: ORIGIN_VERIFY_HEADER } },
      ],
    });
  });

  it('tells the API functions that the viewer address header is WAF-guarded', () => {
    const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionId(template, 'auth')] as Resource;
    const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars[ENV.viewerAddressTrusted]).toBe('true');
  });

  it('generates the origin secret in Secrets Manager: no literal value anywhere in the template', () => {
    const secret = only(template, 'AWS::SecretsManager::Secret');
    expect(secret.Properties.GenerateSecretString).toMatchObject({
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
    expect(secret.Properties.SecretString).toBeUndefined();
  });

  it('has no dependency cycle (the console depends on the APIs, nothing of the API on the console)', () => {
    expect(findCycle(template)).toBeUndefined();
    const functionIds = Object.keys(resourcesOf(template, 'AWS::Lambda::Function'));
    const apiFunctions = functionIds.filter((id) => !id.startsWith('Custom'));
    for (const id of apiFunctions)
      expect([...referencesOf(resourcesOf(template, 'AWS::Lambda::Function')[id])].join(), id).not.toMatch(
        /Console/,
      );
  });

  it('outputs the console URL and its bucket', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(render(outputs.ConsoleUrl?.Value)).toBe(`https://<${distributionId}.DomainName>`);
    expect(outputs.ConsoleBucketName?.Value).toEqual({ Ref: bucketId });
  });
});

describe('console hosting with a custom domain, a CloudFront web ACL and a pinned key (prod)', () => {
  const verifierKey = formatVerifierKey('stempel-prod/notarizations', new Uint8Array(32).fill(7));
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synthStempel({
      stage: 'prod',
      console: {
        consoleDomainName: 'console.example.com',
        consoleCertificateArn: CERTIFICATE_ARN,
        consoleWebAclArn: WEB_ACL_ARN,
      },
    });
  }, 120_000);

  it('serves the custom domain with its certificate over SNI, TLS 1.2 at least, behind the web ACL', () => {
    const config = distributionConfig(synthesized.template);
    expect(config.Aliases).toEqual(['console.example.com']);
    expect(config.ViewerCertificate).toEqual({
      AcmCertificateArn: CERTIFICATE_ARN,
      SslSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
    });
    expect(config.WebACLId).toBe(WEB_ACL_ARN);
    const outputs = synthesized.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ConsoleUrl?.Value).toBe('https://console.example.com');
  });

  it('lets the console origin use the documents bucket cross-origin (presigned uploads)', () => {
    const documents = idOf(synthesized.template, 'AWS::S3::Bucket', 'DataDocuments');
    const bucket = resourcesOf(synthesized.template, 'AWS::S3::Bucket')[documents] as Resource;
    expect(JSON.stringify(bucket.Properties.CorsConfiguration)).toContain('"https://console.example.com"');
  });

  it('keeps the console buckets when a prod stack is deleted', () => {
    for (const prefix of ['ConsoleBucket', 'ConsoleLogs']) {
      const id = idOf(synthesized.template, 'AWS::S3::Bucket', prefix);
      expect(resourcesOf(synthesized.template, 'AWS::S3::Bucket')[id]?.DeletionPolicy, prefix).toBe('Retain');
    }
  });

  it('is nag clean with its acknowledgements for the default certificate and the missing web ACL gone', () => {
    expect(nagFindings(synthesized.stack)).toEqual([]);
    const acknowledged = synthesized.stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.map((m) => JSON.stringify(m.data)))
      .join();
    expect(acknowledged).not.toContain('AwsSolutions-CFR4');
    expect(acknowledged).not.toContain('AwsSolutions-CFR2');
    expect(acknowledged).toContain('AwsSolutions-CFR1');
  });

  it('pins the verifier key into config.json, and a rotated origin secret version into CloudFront and the WAF', () => {
    const version = 'EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE';
    const pinned = synthStempel({
      stage: 'prod',
      console: { consoleVerifierKey: verifierKey, consoleOriginSecretVersion: version },
    });
    expect(deployedConfigJson(pinned.app)).toEqual([
      { apiBase: '', liveUrl: expect.stringMatching(/^wss:\/\/.+\/prod$/), verifierKey, stage: 'prod' },
    ]);
    const secretId = idOf(pinned.template, 'AWS::SecretsManager::Secret', 'ConsoleOriginSecret');
    const reference = `{{resolve:secretsmanager:<${secretId}>:SecretString:::${version}}}`;
    for (const origin of distributionConfig(pinned.template).Origins.filter((o) => o.OriginCustomHeaders))
      expect(render(origin.OriginCustomHeaders?.[0]?.HeaderValue)).toBe(reference);
    const rules = JSON.stringify(only(pinned.template, 'AWS::WAFv2::WebACL').Properties.Rules);
    expect(rules).toContain(`":SecretString:::${version}}}"`);
    expect(rules).not.toContain('":SecretString:::}}"');
  });
});

describe('the live WebSocket URL (StempelConsole liveUrl)', () => {
  /** The console construct alone, with two minimal REST APIs and a documents bucket. */
  function consoleStack(liveUrl: string) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'ConsoleOnly');
    const api = (id: string) => {
      const rest = new RestApi(stack, id, { deployOptions: { stageName: 'dev' } });
      rest.root.addMethod('GET', new MockIntegration());
      return rest;
    };
    const webConsole = new StempelConsole(stack, 'Console', {
      stage: 'dev',
      config: { prebuiltAssets: CONSOLE_FIXTURE },
      api: api('Api'),
      binaryApi: api('BinaryApi'),
      accessLogs: new Bucket(stack, 'AccessLogs'),
      logExpiration: Duration.days(30),
      removalPolicy: RemovalPolicy.DESTROY,
      documents: new Bucket(stack, 'Documents'),
      liveUrl,
      logRetention: RetentionDays.ONE_MONTH,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
    return { app, template: Template.fromStack(stack), webConsole };
  }
  const csp = (template: Template) =>
    render(
      (
        only(template, 'AWS::CloudFront::ResponseHeadersPolicy').Properties.ResponseHeadersPolicyConfig as {
          SecurityHeadersConfig: { ContentSecurityPolicy: { ContentSecurityPolicy: unknown } };
        }
      ).SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy,
    );

  it('goes into connect-src (its origin) and config.json', () => {
    const { app, template } = consoleStack('wss://abc123.execute-api.eu-central-1.amazonaws.com/dev');
    const connect = csp(template)
      .split('; ')
      .find((d) => d.startsWith('connect-src'));
    expect(connect).toMatch(/ wss:\/\/abc123\.execute-api\.eu-central-1\.amazonaws\.com$/);
    expect(deployedConfigJson(app)).toEqual([
      {
        apiBase: '',
        liveUrl: 'wss://abc123.execute-api.eu-central-1.amazonaws.com/dev',
        verifierKey: null,
        stage: 'dev',
      },
    ]);
  }, 120_000);

  it('takes a deploy-time URL, whose origin CloudFormation computes', () => {
    const { template, webConsole } = consoleStack(
      Fn.join('', ['wss://', Fn.ref('AWS::StackName'), '.example.com/dev']),
    );
    const policy = only(template, 'AWS::CloudFront::ResponseHeadersPolicy');
    expect(JSON.stringify(policy.Properties)).toContain('"Fn::Split":["//"');
    expect(JSON.stringify(policy.Properties)).toContain('{"Ref":"AWS::StackName"}');
    expect(webConsole.runtimeConfig.liveUrl).toMatch(/\$\{Token\[/);
    expect(originOf('wss://live.example.com/dev')).toBe('wss://live.example.com');
  }, 120_000);
});
