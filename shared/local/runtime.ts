import { chmodSync, mkdirSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { BootstrapResult } from '../core/bootstrap-admin';
import { consoleSecurityHeaders } from '../http/console-headers';
import type { DeliveryJob } from '../ports/webhooks';
import { ENV } from '../runtime/environment';
import { auditTable, buckets, filesTable, notarizationsTable, tables } from '../tables';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { freePort } from './free-port';
import { createGatewayServer } from './gateway';
import { lambdaContext } from './lambda-context';
import { LIVE_PATH, LocalLiveSockets } from './live-sockets';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient, localS3Client } from './local-clients';
import { allowDocumentsFrom, createBucket, createTable, localName } from './provision';
import { type S3Emulator, startS3Emulator } from './s3-emulator';
import { startSchedule } from './schedule';
import { startStreamTrigger } from './stream-trigger';
import { LocalWebhookQueue } from './webhook-queue';

export interface LocalRuntimeOptions {
  /** Where DynamoDB Local, the S3 emulator and the local keys keep their data. */
  readonly dataDir: string;
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  readonly host?: string;
  /** First admin's password; generated when absent. */
  readonly bootstrapAdminPassword?: string;
  readonly bootstrapAdminUsername?: string;
  /** Requests per minute and client IP on /v1/auth/* (the WAF's job in AWS). */
  readonly authRatePerMinute?: number;
  /** How often the anchor function runs (its EventBridge schedule in AWS); a minute by default. */
  readonly anchorEveryMs?: number;
  /** Caps the webhook retry backoff (tests: milliseconds instead of the production schedule). */
  readonly webhookMaxRetryDelayMs?: number;
  /** The built web console (web/dist) to serve outside /v1/; none: the API only. */
  readonly consoleDirectory?: string;
}

export interface LocalRuntime {
  readonly url: string;
  /** The live log channel (docs/live.md): `ws://<host>:<port>/v1/live`. */
  readonly liveUrl: string;
  readonly dynamoEndpoint: string;
  readonly s3Endpoint: string;
  readonly bootstrap: BootstrapResult;
  /** Webhook jobs that used up their attempts (the dead-letter queue in AWS). */
  readonly webhookDeadLetters: readonly DeliveryJob[];
  close(): Promise<void>;
}

/**
 * Points this process at the emulators the way a deployment points Lambda at
 * AWS: through environment variables only, so the handlers run unchanged.
 */
function configureEnvironment(dataDir: string, dynamoEndpoint: string, s3Endpoint: string): void {
  const env: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    [ENV.dataDir]: dataDir,
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    POWERTOOLS_SERVICE_NAME: process.env.POWERTOOLS_SERVICE_NAME ?? 'stempel-local',
  };
  for (const def of [...tables, ...buckets]) env[def.envVar] = localName(def);
  Object.assign(process.env, env);
  delete process.env[ENV.settingsParameter];
  delete process.env[ENV.tokenKeyId];
}

/** Files and directories this process creates (and its children: the JVM) are for its user only. */
const PRIVATE_UMASK = 0o077;

/**
 * Sets a private umask; returns how to restore the previous one. A worker
 * thread cannot change it (the umask is per process): there the explicit
 * modes below still keep the data directory closed.
 */
function restrictUmask(): () => void {
  try {
    const previous = process.umask(PRIVATE_UMASK);
    return () => {
      process.umask(previous);
    };
  } catch {
    return () => undefined;
  }
}

/**
 * Creates `dataDir` for this user only (0700), or closes an existing one to
 * group and others, so that nothing under it (keys, tables, objects) is
 * reachable by other users whatever the modes of the files inside.
 */
function preparePrivateDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ((statSync(dataDir).mode & 0o077) !== 0) chmodSync(dataDir, 0o700);
}

/**
 * Everything `npm start` runs: DynamoDB Local and s3rver with data under
 * `dataDir`, tables and buckets from the shared definitions, local keys, the
 * bootstrap admin, and an HTTP server in front of the Lambda handlers.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dataDir = resolve(options.dataDir);
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  // Before anything is created or spawned: the JVM inherits the umask.
  const restoreUmask = restrictUmask();
  stops.push(async () => restoreUmask());
  try {
    preparePrivateDataDir(dataDir);
    const dynamo: DynamoDbLocal = await startDynamoDbLocal(await freePort(), join(dataDir, 'dynamodb'));
    stops.push(dynamo.stop);
    const s3: S3Emulator = await startS3Emulator(0, join(dataDir, 's3'));
    stops.push(s3.stop);
    configureEnvironment(dataDir, dynamo.endpoint, s3.endpoint);

    const dynamoClient = localDynamoClient(dynamo.endpoint);
    for (const def of tables) await createTable(dynamoClient, def);
    const s3Client = localS3Client(s3.endpoint);
    for (const def of buckets) await createBucket(s3Client, def);

    // Imported only now: the handlers read the environment configured above.
    const [
      { bootstrapAdmin },
      identityRoot,
      authorizer,
      auth,
      users,
      notarizations,
      log,
      tsa,
      audit,
      reportsFunction,
      privacyFunction,
      publicRoutes,
      integrator,
      verifier,
      anchor,
      auditExport,
      webhookRoutes,
      webhookDispatch,
      webhookDelivery,
      webhookRuntime,
      { MAX_ATTEMPTS },
      live,
      livePush,
      liveRuntime,
      liveNotifierRuntime,
    ] = await Promise.all([
      import('../core/bootstrap-admin'),
      import('../runtime/users'),
      import('../../functions/authorizer'),
      import('../../functions/auth'),
      import('../../functions/users'),
      import('../../functions/notarizations'),
      import('../../functions/log'),
      import('../../functions/tsa'),
      import('../../functions/audit'),
      import('../../functions/reports'),
      import('../../functions/privacy'),
      import('../../functions/public'),
      import('../../functions/integrator'),
      import('../../functions/verifier'),
      import('../../functions/anchor'),
      import('../../functions/audit-export'),
      import('../../functions/webhooks'),
      import('../../functions/webhook-dispatch'),
      import('../../functions/webhook-delivery'),
      import('../runtime/webhooks'),
      import('../core/webhooks'),
      import('../../functions/live'),
      import('../../functions/live-push'),
      import('../runtime/live'),
      import('../runtime/live-notifier'),
    ]);
    const bootstrap = await bootstrapAdmin(identityRoot.identity(), {
      username: options.bootstrapAdminUsername ?? 'admin',
      password: options.bootstrapAdminPassword,
    });
    const { corsOrigins } = await import('../http/cors');
    // The webhook delivery queue and its event source mapping, in process (SQS in AWS).
    const webhookQueue = new LocalWebhookQueue({
      handler: webhookDelivery.handler,
      maxReceiveCount: MAX_ATTEMPTS,
      ...(options.webhookMaxRetryDelayMs === undefined
        ? {}
        : { maxRetryDelayMs: options.webhookMaxRetryDelayMs }),
    });
    webhookRuntime.useLocalWebhookQueue(webhookQueue);
    webhookQueue.start();
    stops.push(() => webhookQueue.stop());
    // The live channel: WebSockets on the API's port, and live-push run in process (asynchronously, as
    // the integrator's Event invocation runs it in AWS); both set before the integrator can seal.
    const liveSockets = new LocalLiveSockets(live.handler);
    liveRuntime.useLocalLiveSender(liveSockets);
    const pushes = new Set<Promise<void>>();
    liveNotifierRuntime.useLocalLiveNotifier({
      logGrew: async (range) => {
        const push = livePush
          .handler(range, lambdaContext('stempel-live-push'))
          .catch((err) => console.error('live push failed', err))
          .finally(() => pushes.delete(push));
        pushes.add(push);
      },
    });
    stops.push(async () => {
      await Promise.all(pushes);
    });
    // Each function a table's stream runs in AWS (its event source mapping), in process.
    const triggers = [
      { table: notarizationsTable, handler: integrator.handler, functionName: undefined },
      // Audit events wake the same integrator, which seals both logs.
      { table: auditTable, handler: integrator.handler, functionName: 'stempel-integrator-audit' },
      // Sealed audit events to the export bucket.
      { table: auditTable, handler: auditExport.handler, functionName: 'stempel-audit-export' },
      { table: filesTable, handler: verifier.handler, functionName: 'stempel-verifier', batchSize: 1 },
      // Webhook events: notarizations created and sealed, and failed logins that locked a name.
      {
        table: notarizationsTable,
        handler: webhookDispatch.handler,
        functionName: 'stempel-webhook-dispatch',
      },
      { table: auditTable, handler: webhookDispatch.handler, functionName: 'stempel-webhook-dispatch-audit' },
    ];
    for (const mapping of triggers) {
      const { table, handler, functionName } = mapping;
      const trigger = await startStreamTrigger({
        endpoint: dynamo.endpoint,
        tableName: localName(table),
        handler,
        ...(functionName ? { functionName } : {}),
        ...('batchSize' in mapping ? { batchSize: mapping.batchSize } : {}),
      });
      stops.push(trigger.stop);
    }
    // The anchor function's EventBridge schedule; it does nothing unless external TSAs are configured.
    const anchoring = startSchedule('stempel-anchor', anchor.handler, options.anchorEveryMs ?? 60_000);
    stops.push(anchoring.stop);
    // The console's origin is known only once the server listens (port 0 in tests): its config is read per request.
    let origin = '';
    const site = options.consoleDirectory
      ? {
          directory: resolve(options.consoleDirectory),
          headers: consoleSecurityHeaders({ https: false, connectSources: [s3.endpoint] }),
          config: async () => {
            const { transparency } = await import('../runtime/log');
            const { verifierKey } = await (await transparency()).key();
            return {
              apiBase: '',
              liveUrl: `${origin.replace(/^http/, 'ws')}${LIVE_PATH}`,
              verifierKey,
              stage: 'local',
            };
          },
        }
      : undefined;
    const server: Server = createGatewayServer(
      {
        authorizer: authorizer.handler,
        groups: {
          auth: auth.handler,
          users: users.handler,
          notarizations: notarizations.handler,
          log: log.handler,
          tsa: tsa.handler,
          reports: reportsFunction.handler,
          privacy: privacyFunction.handler,
          audit: audit.handler,
          webhooks: webhookRoutes.handler,
          public: publicRoutes.handler,
        },
      },
      {
        corsOrigins: corsOrigins(),
        authRatePerMinute: options.authRatePerMinute ?? 60,
        ...(site ? { console: site } : {}),
      },
    );
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(options.port, options.host ?? '127.0.0.1', ok);
    });
    stops.push(
      () =>
        new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeAllConnections();
        }),
    );
    liveSockets.attach(server);
    stops.push(() => liveSockets.stop());
    const { port } = server.address() as AddressInfo;
    origin = `http://${options.host ?? '127.0.0.1'}:${port}`;
    // The console uploads and downloads documents straight to and from S3, as in AWS.
    if (site) await allowDocumentsFrom(s3Client, origin);
    return {
      url: origin,
      liveUrl: `ws://${options.host ?? '127.0.0.1'}:${port}${LIVE_PATH}`,
      dynamoEndpoint: dynamo.endpoint,
      s3Endpoint: s3.endpoint,
      bootstrap,
      webhookDeadLetters: webhookQueue.deadLetters,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
