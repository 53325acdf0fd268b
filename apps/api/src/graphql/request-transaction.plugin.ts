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
            logger.error({ err }, 'the request transaction failed to commit');
            response.body = {
              kind: 'single',
              singleResult: {
                data: null,
                errors: [{ message: '内部エラーが発生しました。', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
              },
            };
          }
        },
      };
    },
  };
}
