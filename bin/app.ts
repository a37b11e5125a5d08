#!/usr/bin/env node
import { App, Tags } from 'aws-cdk-lib';
import { applyNagPacks } from '../lib/nag';
import { stageConfigFromContext } from '../lib/stage-config';
import { StempelStack } from '../lib/stempel-stack';

/**
 * The CDK app: `npx cdk synth -c stage=dev|prod [-c corsOrigins=https://a.example,https://b.example]
 * [-c alarmEmails=ops@example.com,…] [-c tsaCertificateChainFile=chain.pem] [-c auditRetentionDays=2555]`
 * [-c consoleAssets=<built console dir>] [-c consoleDomainName=… -c consoleCertificateArn=…]
 * [-c consoleWebAclArn=…] [-c consoleVerifierKey=…] [-c consoleOriginSecretVersion=…]
 * (see lib/stage-config.ts; auditRetentionDays locks the audit export in S3 Object Lock COMPLIANCE mode;
 * the console's options are in docs/console-hosting.md).
 * Environment-agnostic (no lookups), so it synthesizes offline without credentials.
 */
const app = new App();
const config = stageConfigFromContext(app.node);

new StempelStack(app, `Stempel-${config.stage}`, {
  config,
  description: `Stempel (${config.stage}): document notarization on an append-only Merkle log`,
});
Tags.of(app).add('project', 'stempel');
Tags.of(app).add('stage', config.stage);

applyNagPacks(app);
