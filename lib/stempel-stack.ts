import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { FUNCTION_GROUPS, type FunctionGroup } from '../shared/http/routes';
import { ENV } from '../shared/runtime/environment';
import { buckets, documentsBucket, filesTable, notarizationsTable } from '../shared/tables';
import { StempelApi } from './api';
import { StempelData } from './data';
import { type FunctionName, StempelFunction, type StreamFunctionName } from './functions';
import { Integrator } from './integrator';
import { acknowledgeApiFunction, acknowledgeDocumentObjects } from './nag';
import {
  CURSOR_KEY_ENV,
  DATA_KEY_ENV,
  DOCUMENT_PREFIX,
  functionPolicies,
  KEY_USERS,
  LOG_KEY_ENV,
  TOKEN_KEY_ENV,
} from './permissions';
import type { StageConfig } from './stage-config';
import { Verifier } from './verifier';
import { StempelWaf } from './waf';

export interface StempelStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * Feature flags this stack relies on, set on the stack so they hold whatever
 * cdk.json says: server access logs delivered by bucket policy (the log
 * bucket has ACLs disabled), and API Gateway deployments and validators that
 * follow authorizer and validator changes.
 */
const FEATURE_FLAGS = {
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-apigateway:authorizerChangeDeploymentLogicalId': true,
  '@aws-cdk/aws-apigateway:requestValidatorUniqueId': true,
  '@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard': true,
} as const;

/**
 * Stempel in one environment-agnostic stack: data (KMS, DynamoDB, S3, SSM),
 * one function per route group plus the authorizer, the REST API and its WAF,
 * the integrator that seals pending notarizations into the log, and the
 * verifier that hashes uploads handed over for notarizing.
 *
 * @example
 * new StempelStack(app, 'Stempel-dev', { config: stageConfig('dev') });
 */
export class StempelStack extends Stack {
  constructor(scope: Construct, id: string, props: StempelStackProps) {
    super(scope, id, { terminationProtection: props.config.terminationProtection, ...props });
    for (const [flag, value] of Object.entries(FEATURE_FLAGS)) this.node.setContext(flag, value);
    const { config } = props;

    const data = new StempelData(this, 'Data', {
      stage: config.stage,
      settings: config.settings,
      accessLogExpiration: config.accessLogExpiration,
      corsOrigins: config.corsOrigins,
    });

    const sharedEnvironment: Record<string, string> = {
      ...Object.fromEntries(data.allTables.map(({ def, table }) => [def.envVar, table.tableName])),
      ...Object.fromEntries(buckets.map((def) => [def.envVar, data.bucket(def).bucketName])),
      [ENV.settingsParameter]: data.settingsParameter.parameterName,
      [ENV.corsOrigins]: config.corsOrigins.join(','),
    };
    const policies = functionPolicies(data);
    const environment = (name: FunctionName) => ({
      ...sharedEnvironment,
      ...(TOKEN_KEY_ENV.includes(name) ? { [ENV.tokenKeyId]: data.tokenKey.keyId } : {}),
      ...(LOG_KEY_ENV.includes(name) ? { [ENV.logKeyId]: data.logKey.keyId } : {}),
      ...(DATA_KEY_ENV.includes(name) ? { [ENV.dataKeyId]: data.dataKey.keyId } : {}),
      ...(CURSOR_KEY_ENV.includes(name) ? { [ENV.cursorKeyId]: data.cursorKey.keyId } : {}),
    });
    const logging = { logRetention: config.logRetention, logRemovalPolicy: config.logRemovalPolicy };
    const roles = new Map<FunctionName, IRole>();

    // Behind API Gateway: the authorizer and one function per route group, invoked synchronously.
    const apiFunction = (name: Exclude<FunctionName, StreamFunctionName>) => {
      const { fn, role } = new StempelFunction(this, `${name[0]?.toUpperCase()}${name.slice(1)}Function`, {
        name,
        environment: environment(name),
        statements: policies[name],
        ...logging,
      });
      acknowledgeApiFunction(fn, role);
      // Uploads and downloads: object access under the documents prefix (see lib/permissions.ts).
      if (name === 'notarizations')
        acknowledgeDocumentObjects(role, data.bucket(documentsBucket), DOCUMENT_PREFIX);
      roles.set(name, role);
      return fn;
    };
    const authorizer = apiFunction('authorizer');
    const functions = Object.fromEntries(FUNCTION_GROUPS.map((g) => [g, apiFunction(g)])) as Record<
      FunctionGroup,
      ReturnType<typeof apiFunction>
    >;

    const integrator = new Integrator(this, 'Integrator', {
      notarizations: data.table(notarizationsTable),
      environment: environment('integrator'),
      statements: policies.integrator,
      ...logging,
      every: Duration.minutes(5),
    });
    roles.set('integrator', integrator.function.role);

    // Hashes the uploads that POST /v1/notarizations hands over (the Files table's stream).
    const verifier = new Verifier(this, 'Verifier', {
      files: data.table(filesTable),
      documents: data.bucket(documentsBucket),
      environment: environment('verifier'),
      statements: policies.verifier,
      ...logging,
    });
    roles.set('verifier', verifier.function.role);

    // Each signing key and the cursor key: usable by the roles of KEY_USERS and denied to everyone else.
    const role = (name: FunctionName) => {
      const found = roles.get(name);
      if (!found) throw new Error(`no function ${name}`);
      return found;
    };
    for (const [key, use] of Object.entries(KEY_USERS) as [
      keyof typeof KEY_USERS,
      (typeof KEY_USERS)[keyof typeof KEY_USERS],
    ][])
      data.restrictKeyUse(data[key], use.actions, use.functions.map(role));

    const api = new StempelApi(this, 'Api', { config, functions, authorizer, surface: 'main' });
    // The log's tlog-tiles: a GET-only API of its own, because binary bodies need `*/*` binary media types.
    const tiles = new StempelApi(this, 'TilesApi', {
      config,
      functions,
      surface: 'tiles',
      account: api.account,
    });
    const waf = new StempelWaf(this, 'Waf', {
      stages: [api.api.deploymentStage, tiles.api.deploymentStage],
      stageName: config.stage,
      limits: config.waf,
      logRetention: config.logRetention,
      logRemovalPolicy: config.logRemovalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', { value: api.api.url, description: 'Base URL of the REST API stage' });
    new CfnOutput(this, 'LogTilesPrefix', {
      value: `${tiles.api.url}v1/log/`,
      description: 'C2SP tlog-tiles prefix of the log: <prefix>checkpoint, <prefix>tile/…',
    });
    new CfnOutput(this, 'DataKeyId', {
      value: data.dataKey.keyId,
      description: 'KMS key for tables and documents',
    });
    new CfnOutput(this, 'TokenSigningKeyId', {
      value: data.tokenKey.keyId,
      description: 'KMS Ed25519 key that signs access tokens',
    });
    new CfnOutput(this, 'LogSigningKeyId', {
      value: data.logKey.keyId,
      description: 'KMS Ed25519 key that signs log checkpoints (its public key is the verifier key)',
    });
    new CfnOutput(this, 'CursorKeyId', {
      value: data.cursorKey.keyId,
      description: 'KMS HMAC key that signs pagination cursors',
    });
    new CfnOutput(this, 'SettingsParameterName', { value: data.settingsParameter.parameterName });
    new CfnOutput(this, 'WebAclArn', { value: waf.webAcl.attrArn });
    for (const { def, table } of data.allTables)
      new CfnOutput(this, `${def.id}TableName`, { value: table.tableName });
    for (const def of buckets)
      new CfnOutput(this, `${def.id}BucketName`, { value: data.bucket(def).bucketName });
  }
}
