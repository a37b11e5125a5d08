import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  AssetHashType,
  DockerImage,
  Duration,
  Fn,
  RemovalPolicy,
  SecretValue,
  Stack,
  Token,
} from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  type BehaviorOptions,
  CachePolicy,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginRequestPolicy,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { RestApiOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '../shared/http/client-address';
import { consoleHeaderValues } from '../shared/http/console-headers';
import { routeList } from '../shared/http/routes';
import { SPA_REWRITE_FUNCTION, VIEWER_ADDRESS_FUNCTION } from './console-functions';
import { acknowledgeConsoleDeployment, acknowledgeConsoleDistribution, acknowledgeOriginSecret } from './nag';
import type { ConsoleConfig, StageName } from './stage-config';

/** The repository root: `npm run build:web` runs here, and builds web/ (and the shared/ code it imports). */
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What the console fetches at start (web/src/config.ts): same-origin API, live URL, pinned key, stage. */
export interface ConsoleRuntimeConfig {
  /** Empty: the API is on the console's own origin, under /v1/. */
  readonly apiBase: '';
  readonly liveUrl: string | null;
  readonly verifierKey: string | null;
  readonly stage: StageName;
}

export interface StempelConsoleProps {
  readonly stage: StageName;
  readonly config: ConsoleConfig;
  /** The main REST API: every /v1/ route of the console's origin but the binary-only ones. */
  readonly api: RestApi;
  /** The binary API: the binary-only routes (certificate PDF, RFC 3161, tlog-tiles) on the same origin. */
  readonly binaryApi: RestApi;
  /** Where S3 server access logs go (the stack's access-log bucket). */
  readonly accessLogs: IBucket;
  /** How long the distribution's standard logs are kept. */
  readonly logExpiration: Duration;
  readonly removalPolicy: RemovalPolicy;
  /**
   * The documents bucket: the console uploads to and downloads from it
   * through presigned URLs, so its endpoints are in connect-src.
   */
  readonly documents: IBucket;
  /** The live WebSocket's URL (wss://…), when the stack has one: in connect-src and config.json. */
  readonly liveUrl?: string;
  /** Retention and removal of the deployment function's log group, as for every log group of the stack. */
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** The scheme and host of a URL, also when it is a deploy-time token (`wss://host/stage` → `wss://host`). */
export function originOf(url: string): string {
  if (!Token.isUnresolved(url)) {
    const { protocol, host } = new URL(url);
    return `${protocol}//${host}`;
  }
  return Fn.join('', [Fn.select(0, Fn.split('//', url)), '//', Fn.select(2, Fn.split('/', url))]);
}

/** CloudFront path patterns of the binary-only routes: `{id}` and `{path+}` become `*`. */
export const binaryPathPatterns = (): string[] =>
  routeList()
    .filter(([, route]) => route.binary === 'only')
    .map(([, route]) => route.path.replace(/\{[^}]+\}/g, '*'))
    .filter((pattern, i, all) => all.indexOf(pattern) === i);

/**
 * The web console in AWS: the built single-page app in a private bucket,
 * served by CloudFront through Origin Access Control, with the API on the
 * same origin under /v1/ (docs/console-hosting.md).
 *
 * - `/v1/*`: the REST API (binary-only routes: the binary API), never cached,
 *   every method, with all viewer headers but Host (so Authorization, the
 *   refresh cookie and query strings reach API Gateway), the viewer's address
 *   set at the edge, and the per-deployment origin secret that lets the
 *   regional WAF and the handlers trust that address.
 * - everything else: the bucket; extensionless paths are SPA routes and get
 *   index.html (a viewer-request function, not custom error responses, which
 *   would also rewrite the API's 403 and 404 problems). Hashed assets are
 *   cached for a year, index.html and config.json are revalidated.
 * - strict security headers (shared/http/console-headers.ts) on the console.
 *
 * @example
 * new StempelConsole(this, 'Console', {
 *   stage: 'dev', config: config.console, api, binaryApi, accessLogs, logExpiration: Duration.days(90),
 *   removalPolicy: RemovalPolicy.DESTROY, documents, liveUrl: live.url, logRetention, logRemovalPolicy,
 * });
 */
export class StempelConsole extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://` and the distribution's (or the custom) domain. */
  readonly url: string;
  /**
   * A CloudFormation dynamic reference to the origin secret (resolved at
   * deploy time; the value is never in code, the template or cdk.out).
   */
  readonly originSecret: string;
  readonly runtimeConfig: ConsoleRuntimeConfig;

  constructor(scope: Construct, id: string, props: StempelConsoleProps) {
    super(scope, id);
    const { config, removalPolicy } = props;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console/',
      removalPolicy,
      autoDeleteObjects: destroy,
    });

    // CloudFront standard logging writes with ACLs (awslogsdelivery), which the stack's
    // access-log bucket has disabled: a bucket of its own, ACLs on, objects still the owner's.
    const logs = new Bucket(this, 'Logs', {
      encryption: BucketEncryption.S3_MANAGED, // CloudFront log delivery cannot write to SSE-KMS buckets
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: props.logExpiration }],
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console-logs/',
      removalPolicy,
      autoDeleteObjects: destroy,
    });

    // Generated by Secrets Manager at deploy time; CloudFront and the WAF get it by dynamic reference.
    const secret = new Secret(this, 'OriginSecret', {
      description: `Stempel ${props.stage}: proves to the API's WAF that a request came through the console's CloudFront distribution`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A pinned version (after a rotation) changes both readers in one deployment.
    this.originSecret = (
      config.originSecretVersion
        ? SecretValue.secretsManager(secret.secretArn, { versionId: config.originSecretVersion })
        : secret.secretValue
    ).unsafeUnwrap();
    acknowledgeOriginSecret(secret);

    const connectSources = [
      // Presigned uploads and downloads: virtual-hosted style, global and regional names.
      `https://${props.documents.bucketDomainName}`,
      `https://${props.documents.bucketRegionalDomainName}`,
      ...(props.liveUrl ? [originOf(props.liveUrl)] : []),
    ];
    const headers = consoleHeaderValues({ https: true, connectSources });
    const hsts = headers.strictTransportSecurity;
    if (!hsts) throw new Error('the console is served over HTTPS: HSTS expected');
    const securityHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `Stempel ${props.stage} console: CSP, HSTS and the other security headers`,
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: headers.contentSecurityPolicy, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(hsts.maxAgeSeconds),
          includeSubdomains: hsts.includeSubDomains,
          preload: hsts.preload,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption[headers.frameOptions], override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: Object.entries(headers.custom).map(([header, value]) => ({
          header,
          value,
          override: true,
        })),
      },
    });

    const spaRewrite = new CloudFrontFunction(this, 'SpaRewrite', {
      comment: 'Console routes (no file extension) get /index.html',
      code: FunctionCode.fromInline(SPA_REWRITE_FUNCTION),
      runtime: FunctionRuntime.JS_2_0,
    });
    const viewerAddress = new CloudFrontFunction(this, 'ViewerAddress', {
      comment: "API requests carry the viewer's address as CloudFront saw it",
      code: FunctionCode.fromInline(VIEWER_ADDRESS_FUNCTION),
      runtime: FunctionRuntime.JS_2_0,
    });

    const apiBehavior = (api: RestApi): BehaviorOptions => ({
      origin: new RestApiOrigin(api, { customHeaders: { [ORIGIN_VERIFY_HEADER]: this.originSecret } }),
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      // Every viewer header but Host (API Gateway routes on its own host name): with this managed
      // policy CloudFront also forwards Authorization, which no custom origin request policy may name.
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      functionAssociations: [{ function: viewerAddress, eventType: FunctionEventType.VIEWER_REQUEST }],
    });
    const binaryBehavior = apiBehavior(props.binaryApi);
    const additionalBehaviors: Record<string, BehaviorOptions> = {
      // More specific patterns first: CloudFront matches behaviors in order.
      ...Object.fromEntries(binaryPathPatterns().map((pattern) => [pattern, binaryBehavior])),
      '/v1/*': apiBehavior(props.api),
    };

    const domain = config.domain;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Stempel ${props.stage} console`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        // Honours the objects' Cache-Control: a year for hashed assets, revalidation for the rest.
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
        functionAssociations: [{ function: spaRewrite, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors,
      httpVersion: HttpVersion.HTTP2_AND_3,
      ...(domain
        ? {
            // Only with a certificate of its own can a distribution choose its TLS policy.
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
            domainNames: [domain.domainName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
          }
        : {}),
      ...(config.webAclArn ? { webAclId: config.webAclArn } : {}),
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'distribution/',
      // Cookies hold the refresh token: never in the logs.
      logIncludesCookies: false,
    });
    acknowledgeConsoleDistribution(this.distribution, {
      customDomain: domain !== undefined,
      webAcl: config.webAclArn !== undefined,
    });
    this.url = `https://${domain ? domain.domainName : this.distribution.distributionDomainName}`;

    this.runtimeConfig = {
      apiBase: '',
      liveUrl: props.liveUrl ?? null,
      verifierKey: config.verifierKey ?? null,
      stage: props.stage,
    };
    // The function that copies the build into the bucket (CDK's, shared by both deployments): an own
    // role without AWS managed policies, logging only to its own log group.
    const deployLogs = new LogGroup(this, 'DeployLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    const deployRole = new Role(this, 'DeployRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Stempel ${props.stage}: copies the built console into its bucket at deploy time`,
    });
    deployRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [deployLogs.logGroupArn],
      }),
    );
    const deployment = {
      destinationBucket: this.bucket,
      role: deployRole,
      logGroup: deployLogs,
      memoryLimit: 512,
    };
    const build = consoleSource(config);
    // Hashed assets first, kept across deployments (an open tab may still load an older chunk).
    const assets = new BucketDeployment(this, 'DeployAssets', {
      ...deployment,
      sources: [build],
      exclude: ['*'],
      include: ['assets/*'],
      prune: false,
      cacheControl: [
        CacheControl.setPublic(),
        CacheControl.maxAge(Duration.days(365)),
        CacheControl.immutable(),
      ],
    });
    // Then index.html, config.json and the other unhashed files, revalidated on every load.
    const entry = new BucketDeployment(this, 'DeployEntry', {
      ...deployment,
      sources: [build, Source.jsonData('config.json', this.runtimeConfig)],
      exclude: ['assets/*'],
      prune: true,
      cacheControl: [CacheControl.noCache()],
    });
    entry.node.addDependency(assets);
    // CDK puts the copy function at the stack's root, one per memory size: ours is the 512 MiB one.
    const copyFunctions = Stack.of(this).node.children.filter(
      (c) => c.node.id.startsWith('Custom::CDKBucketDeployment') && c.node.id.endsWith('512MiB'),
    );
    const [copyFunction] = copyFunctions;
    if (copyFunctions.length !== 1 || !copyFunction)
      throw new Error(`expected one BucketDeployment function of 512 MiB, found ${copyFunctions.length}`);
    acknowledgeConsoleDeployment(copyFunction, deployRole, this.bucket);
  }
}

/**
 * The built console: a prebuilt directory as it is, or web/ built at synth
 * time by `npm run build:web` on this machine (Node is already here, since
 * the CDK app runs on it), in Docker only where that cannot run. The asset
 * hash is the build output's, so a deploy uploads only what changed.
 */
function consoleSource(config: ConsoleConfig): ISource {
  if (config.prebuiltAssets) return Source.asset(config.prebuiltAssets);
  const build = (outputDir: string) => ['run', 'build:web', '--', '--outDir', outputDir, '--emptyOutDir'];
  return Source.asset(REPO_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      local: {
        tryBundle(outputDir: string) {
          execFileSync('npm', build(outputDir), { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
          return true;
        },
      },
      image: DockerImage.fromRegistry('node:24'),
      // A copy without node_modules: the container installs its own, the host's stay untouched.
      command: [
        'bash',
        '-c',
        [
          'mkdir -p /tmp/src',
          'tar -C /asset-input --exclude=./node_modules --exclude=./cdk.out --exclude=./.git -cf - . | tar -C /tmp/src -xf -',
          'cd /tmp/src',
          'npm ci --ignore-scripts --no-audit --no-fund',
          `npm ${build('/asset-output').join(' ')}`,
        ].join(' && '),
      ],
      environment: { HOME: '/tmp', npm_config_cache: '/tmp/.npm' },
    },
  });
}
