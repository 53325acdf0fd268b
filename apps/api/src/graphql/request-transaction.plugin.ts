import { isDatabaseUnavailable, serviceUnavailable } from '@tasuki/platform';
import type { OperationDefinitionNode } from 'graphql';
import type { Logger } from 'pino';
import type { TasukiRequest } from '../auth/request.js';

interface PluginRequestContext {
  contextValue: { req?: TasukiRequest };
  operation?: OperationDefinitionNode | null;
  response: { body?: unknown; http: { status?: number } };
}

/**
 * The shared read transaction of a query request (RequestTransaction): marks the request when its operation is a
 * query (the guard then gives its RequestContext the transaction), and finishes it — the deferred audit of what was
 * read, then COMMIT — before the response leaves. If that fails, the answer is an internal error without data: no
 * personal field leaves unless its read was recorded.
 */
export function requestTransactionPlugin(logger: Logger) {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }: PluginRequestContext) {
          if (contextValue.req && operation?.operation === 'query') contextValue.req.tasukiSharedReads = true;
        },
        async willSendResponse({ contextValue, response }: PluginRequestContext) {
          const transaction = contextValue.req?.tasukiTransaction;
          if (!transaction) return;
          try {
            await transaction.finish();
          } catch (err) {
            // PostgreSQL went away under the request: the same typed answer as any unit of work gives then (the
            // outage itself is logged by formatError, once per 10 s); anything else is a fault to look into.
            const unavailable = isDatabaseUnavailable(err);
            if (!unavailable) logger.error({ err }, 'the request transaction failed to commit');
            const error = unavailable
              ? { message: serviceUnavailable().message, extensions: { code: 'SERVICE_UNAVAILABLE' } }
              : { message: '内部エラーが発生しました。', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
            response.body = { kind: 'single', singleResult: { data: null, errors: [error] } };
          }
        },
      };
    },
  };
}
