import { randomBytes, randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  APIGatewayProxyResultV2,
  APIGatewayProxyWebsocketEventV2,
  APIGatewayEventWebsocketRequestContextV2 as WebsocketContext,
} from 'aws-lambda';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { LiveServerMessage } from '../core/live-protocol';
import type { LiveSender } from '../ports/live';
import { type LambdaHandler, lambdaContext } from './lambda-context';

/** Where the local runtime serves the live channel (the WebSocket API's stage URL in AWS). */
export const LIVE_PATH = '/v1/live';

/** API Gateway's largest WebSocket message. */
const MAX_MESSAGE_BYTES = 128 * 1024;

export type LiveRoutesHandler = LambdaHandler<APIGatewayProxyWebsocketEventV2, APIGatewayProxyResultV2>;

/** API Gateway's route selection on `$request.body.action`: a JSON body naming a route, or `$default`. */
function selectRoute(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const action =
      typeof parsed === 'object' && parsed !== null ? (parsed as { action?: unknown }).action : '';
    return action === 'subscribe' ? 'subscribe' : '$default';
  } catch {
    return '$default';
  }
}

const statusOf = (result: APIGatewayProxyResultV2) =>
  typeof result === 'object' && result !== null ? (result.statusCode ?? 200) : 200;

/**
 * Stands in for the API Gateway WebSocket API at `/v1/live` on the local
 * API's port: each connection gets an id, and its `$connect`, frames
 * (routed on `action` as API Gateway routes them) and `$disconnect` become
 * WebSocket proxy events for the very handler that runs in Lambda. It is
 * also the channel's sender, in place of the @connections API, and unlike
 * it can close with the channel's own code (4401).
 */
export class LocalLiveSockets implements LiveSender {
  private readonly sockets = new Map<string, WebSocket>();
  /** `$disconnect` invocations in flight. */
  private readonly disconnects = new Set<Promise<void>>();
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  constructor(private readonly handler: LiveRoutesHandler) {}

  /** Takes the HTTP server's upgrade requests: `/v1/live` is served, anything else refused with 404. */
  attach(http: Server): void {
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      void this.upgrade(req, socket, head).catch((err) => {
        console.error('local live channel failed', err);
        refuse(socket, 500);
      });
    });
  }

  async send(connectionId: string, message: LiveServerMessage): Promise<'sent' | 'gone'> {
    const ws = this.sockets.get(connectionId);
    if (!ws || ws.readyState !== WebSocket.OPEN) return 'gone';
    const failed = await new Promise<Error | undefined>((done) => ws.send(JSON.stringify(message), done));
    // A socket that closed meanwhile is gone; anything else is a real failure.
    if (failed) {
      if (ws.readyState !== WebSocket.OPEN) return 'gone';
      throw failed;
    }
    return 'sent';
  }

  async close(connectionId: string, code: number, reason: string): Promise<void> {
    this.sockets.get(connectionId)?.close(code, reason);
  }

  /**
   * Closes every connection (going away; cut after a second if the client
   * does not answer), waits for their `$disconnect`s, and stops accepting new
   * ones: nothing is left running against backends about to stop.
   */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.sockets.values()].map(
        (ws) =>
          new Promise<void>((done) => {
            ws.once('close', () => done());
            ws.close(1001, 'server stopping');
            setTimeout(() => ws.terminate(), 1000).unref();
          }),
      ),
    );
    await Promise.all(this.disconnects);
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return refuse(socket, 400);
    }
    if (path !== LIVE_PATH) return refuse(socket, 404);
    // API Gateway's connection ids are short opaque strings like this one.
    const connectionId = randomBytes(12).toString('base64');
    const connectedAt = Date.now();
    const context = (routeKey: string, eventType: WebsocketContext['eventType']): WebsocketContext => ({
      routeKey,
      eventType,
      messageId: randomUUID(),
      extendedRequestId: randomUUID(),
      requestId: randomUUID(),
      requestTime: new Date().toUTCString(),
      requestTimeEpoch: Date.now(),
      messageDirection: 'IN',
      stage: 'local',
      connectedAt,
      domainName: req.headers.host ?? 'localhost',
      connectionId,
      apiId: 'local',
    });
    const invoke = (routeKey: string, eventType: WebsocketContext['eventType'], body?: string) =>
      this.handler(
        { requestContext: context(routeKey, eventType), isBase64Encoded: false, ...(body ? { body } : {}) },
        lambdaContext('stempel-live'),
      );

    const status = statusOf(await invoke('$connect', 'CONNECT'));
    if (status !== 200) return refuse(socket, status);
    this.server.handleUpgrade(req, socket, head, (ws) => {
      this.sockets.set(connectionId, ws);
      // A frame over the limit closes the socket (1009); the close below does the rest.
      ws.on('error', () => undefined);
      // One frame after another, as one Lambda invocation after another would see them.
      let queue = Promise.resolve();
      ws.on('message', (data: RawData) => {
        const body = Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
        queue = queue
          .then(() => invoke(selectRoute(body), 'MESSAGE', body))
          .then(() => undefined)
          .catch((err) => console.error('local live channel failed', err));
      });
      ws.on('close', () => {
        this.sockets.delete(connectionId);
        const disconnected = queue
          .then(() => invoke('$disconnect', 'DISCONNECT'))
          .then(() => undefined)
          .catch((err) => console.error('local live channel failed', err))
          .finally(() => this.disconnects.delete(disconnected));
        this.disconnects.add(disconnected);
        queue = disconnected;
      });
    });
  }
}

/** Refuses an upgrade with a bare HTTP status, as API Gateway does. */
function refuse(socket: Duplex, status: number) {
  if (!socket.writable) return socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
  );
}
