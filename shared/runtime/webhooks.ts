import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { DynamoWebhookStore } from '../adapters/dynamo-webhook-store';
import { HttpsWebhookSender } from '../adapters/https-webhook-sender';
import { SqsWebhookQueue } from '../adapters/sqs-webhook-queue';
import type { AddressPolicy } from '../core/webhook-address';
import { Webhooks } from '../core/webhooks';
import type { ResolveHost, WebhookQueue } from '../ports/webhooks';
import { ENV } from './environment';
import { secretBox } from './keys';
import { once } from './once';

/** Composition root of the webhook functions (admin routes, dispatch, delivery). */

/**
 * Private addresses a webhook may go to anyway, and a CA to trust: set only by
 * the tests (and whoever runs `npm start` with them), never by the CDK stack.
 */
export const addressPolicy = /* @__PURE__ */ once((): AddressPolicy => {
  const allowed = process.env[ENV.webhooksTestAllowAddresses];
  return allowed
    ? {
        allowAddresses: allowed
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      }
    : {};
});

const resolveHost: ResolveHost = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export const webhookStore = /* @__PURE__ */ once(() => new DynamoWebhookStore());

export const webhooks = /* @__PURE__ */ once(
  () =>
    new Webhooks({
      store: webhookStore(),
      secrets: secretBox(),
      resolve: resolveHost,
      policy: addressPolicy(),
    }),
);

export const webhookSender = /* @__PURE__ */ once(() => {
  const caFile = process.env[ENV.webhooksTestCaFile];
  return new HttpsWebhookSender({
    policy: addressPolicy(),
    ...(caFile ? { extraCa: readFileSync(caFile, 'utf8') } : {}),
  });
});

let localQueue: WebhookQueue | undefined;

/** The local runtime's in-process stand-in for the SQS queue. */
export function useLocalWebhookQueue(queue: WebhookQueue): void {
  localQueue = queue;
}

export const webhookQueue = (): WebhookQueue => {
  const url = process.env[ENV.webhookQueueUrl];
  if (url) return sqsQueue(url);
  if (localQueue) return localQueue;
  throw new Error(`set ${ENV.webhookQueueUrl} (AWS) or start the local runtime`);
};
const sqsQueues = new Map<string, SqsWebhookQueue>();
const sqsQueue = (url: string) => {
  const found = sqsQueues.get(url);
  if (found) return found;
  const made = new SqsWebhookQueue(url);
  sqsQueues.set(url, made);
  return made;
};
