import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Plugin } from '@nestjs/apollo';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLFormattedError,
} from 'graphql';
import { CloseCode, type Context, type Disposable, type SubscribePayload } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { AuthService } from '@tasuki/domain';
import { AppError, CONFIG, type AppConfig } from '@tasuki/platform';
import { API_LOGGER } from '../api.tokens.js';
import { authenticateRequest, type TasukiRequest } from '../auth/request.js';
import { formatError } from './format-error.js';
import { GRAPHQL_PATH, graphqlLimits } from './graphql.options.js';

/** Operations one socket may run at once: a client needs one or two; each open one costs work on every push. */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 10;
/** How long a socket may wait before sending `connection_init`. */
const CONNECTION_INIT_WAIT_MS = 5000;
/** Server pings (graphql-ws over ws): a peer that does not answer within this is dropped. */
const KEEP_ALIVE_MS = 12_000;
/** A failure that is not the client's (the database did not answer): graphql-ws clients retry after it. */
const TRY_AGAIN = 1011;

type Ctx = Context<Record<string, unknown> | undefined, Extra>;

/** The `connection_init` payload as the headers of an HTTP request, so a socket authenticates exactly as one. */
export function connectionHeaders(params: Readonly<Record<string, unknown>> | undefined): IncomingHttpHeaders {
  const { authorization, organizationId } = params ?? {};
  return {
    ...(typeof authorization === 'string' ? { authorization } : {}),
    ...(typeof organizationId === 'string' ? { 'x-organization-id': organizationId } : {}),
  };
}

/** `100kb` / `1mb` (HTTP_BODY_LIMIT) in bytes: the largest WebSocket message, as the largest HTTP body. */
const bytesOf = (limit: string) => {
  const [, n, unit] = /^(\d+)(kb|mb)$/.exec(limit)!;
  return Number(n) * (unit === 'mb' ? 1024 * 1024 : 1024);
};

function withCode(e: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(e.message, {
    nodes: e.nodes,
    source: e.source,
    positions: e.positions,
    path: e.path,
    originalError: e.originalError,
    extensions: { ...e.extensions, code },
  });
}

/**
 * GraphQL subscriptions over the `graphql-ws` protocol (graphql-transport-ws), on the API's own HTTP server and path
 * (`/graphql`). Wired here with `useServer` rather than through @nestjs/graphql's `subscriptions` option, which
 * takes static options (no AuthService), sets no message size limit and leaves upgrades to other paths hanging.
 *
 * - `connection_init` carries `{ authorization: 'Bearer <token>', organizationId? }`, read as the Authorization and
 *   X-Organization-Id headers and authenticated by the same code as HTTP: a bad or missing token closes the socket
 *   with 4401, a membership it does not hold with 4403.
 * - Each `subscribe` gets a fresh request built from those parameters, so the global PolicyGuard authenticates it
 *   again (the membership is re-checked when the subscription starts) and checks the field's policy.
 * - Documents are parsed with the token limit and validated with the HTTP API's depth, alias, cost and directive
 *   rules; errors go through the same formatError. Only subscriptions are taken: queries and mutations use HTTP.
 * - As an Apollo plugin, it closes its sockets (1001) when Apollo drains, before the HTTP server stops.
 */
@Plugin()
@Injectable()
export class SubscriptionServer implements OnApplicationBootstrap {
  private wss: WebSocketServer | undefined;
  private server: Server | undefined;
  private disposable: Disposable | undefined;
  private readonly limits: ReturnType<typeof graphqlLimits>;
  private readonly format: ReturnType<typeof formatError>;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(API_LOGGER) private readonly logger: Logger,
    private readonly adapterHost: HttpAdapterHost,
    private readonly schemaHost: GraphQLSchemaHost,
    private readonly auth: AuthService,
  ) {
    this.limits = graphqlLimits(config);
    this.format = formatError(logger);
  }

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: bytesOf(this.config.http.bodyLimit) });
    this.disposable = useServer<Record<string, unknown> | undefined>(
      {
        connectionInitWaitTimeout: CONNECTION_INIT_WAIT_MS,
        onConnect: (ctx) => this.connect(ctx),
        onSubscribe: (ctx, _id, payload) => this.prepare(ctx, payload),
        onNext: (_ctx, _id, _payload, _args, result) =>
          result.errors ? { ...result, errors: result.errors.map((e) => this.formatOne(e)) } : undefined,
        onError: (_ctx, _id, _payload, errors) => errors.map((e) => this.formatOne(e)),
      },
      this.wss,
      KEEP_ALIVE_MS,
    );
    this.server.on('upgrade', this.upgrade);
  }

  private readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== GRAPHQL_PATH || !this.wss) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const wss = this.wss;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };

  /** What the guard sees of one operation: the connection's parameters as headers, and an id of its own. */
  private requestOf(ctx: Ctx): TasukiRequest {
    return { headers: connectionHeaders(ctx.connectionParams), id: randomUUID() };
  }

  private async connect(ctx: Ctx): Promise<boolean> {
    try {
      await authenticateRequest(this.auth, this.requestOf(ctx));
      return true;
    } catch (err) {
      const refused = err instanceof AppError && (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN');
      if (!refused) this.logger.error({ err }, 'subscription connection could not be authenticated');
      const [code, reason] = !refused
        ? [TRY_AGAIN, 'Try again later']
        : err.code === 'UNAUTHENTICATED'
          ? [CloseCode.Unauthorized, 'Unauthorized']
          : [CloseCode.Forbidden, 'Forbidden'];
      // graphql-ws then closes with 4403 for `false`, which the socket already closing ignores.
      ctx.extra.socket.close(code, reason);
      return false;
    }
  }

  /** Parses and validates as the HTTP API does; the operation runs with a request of its own (see requestOf). */
  private prepare(ctx: Ctx, payload: SubscribePayload): ExecutionArgs | readonly GraphQLError[] {
    if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_SOCKET) {
      return [
        new GraphQLError(`1つの接続で同時に購読できるのは${MAX_SUBSCRIPTIONS_PER_SOCKET}件までです。`, {
          extensions: { code: 'BAD_REQUEST' },
        }),
      ];
    }
    let document: DocumentNode;
    try {
      document = parse(payload.query, { maxTokens: this.config.graphql.maxTokens });
    } catch (err) {
      return [withCode(err instanceof GraphQLError ? err : new GraphQLError(String(err)), 'GRAPHQL_PARSE_FAILED')];
    }
    const schema = this.schemaHost.schema;
    const invalid = validate(schema, document, [...specifiedRules, ...this.limits.validationRules]);
    if (invalid.length) return invalid.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) {
      return [
        new GraphQLError('実行する操作を特定できません。', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }),
      ];
    }
    if (operation.operation !== 'subscription') {
      return [
        new GraphQLError(
          'WebSocket ではサブスクリプションだけを受け付けます。クエリとミューテーションは HTTP で送ってください。',
          {
            extensions: { code: 'BAD_REQUEST' },
          },
        ),
      ];
    }
    return {
      schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue: { req: this.requestOf(ctx) },
    };
  }

  private formatOne(e: GraphQLError): GraphQLFormattedError {
    if (!this.config.graphql.introspection) e.message = e.message.replace(/Did you mean ".+"/g, '[Suggestion hidden]');
    return this.format(e.toJSON(), e);
  }

  /** Apollo's drain: close the sockets (1001, going away) and stop taking upgrades before the HTTP server stops. */
  async serverWillStart() {
    return { drainServer: () => this.close() };
  }

  async close(): Promise<void> {
    this.server?.off('upgrade', this.upgrade);
    await this.disposable?.dispose();
    this.disposable = undefined;
  }
}
