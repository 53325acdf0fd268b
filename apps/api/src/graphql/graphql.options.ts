import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type OperationDefinitionNode } from 'graphql';
import type { AppConfig } from '@tasuki/platform';
import type { Logger } from 'pino';
import { rateLimitedStatus } from '../auth/rate-limit.js';
import { formatError } from './format-error.js';
import { requestTransactionPlugin } from './request-transaction.plugin.js';
import { DateScalar, DateTimeScalar } from './scalars.js';

export const SCHEMA_FILE = 'apps/api/schema.graphql';
/** Where the API serves GraphQL: HTTP for queries and mutations, WebSocket (graphql-ws) for subscriptions. */
export const GRAPHQL_PATH = '/graphql';

/**
 * The query limits from graphql-armor (depth, aliases, cost, directives; field suggestions off when introspection is)
 * as Apollo plugins and validation rules. The WebSocket subscriptions validate with the same rules.
 */
export function graphqlLimits(config: AppConfig) {
  const armor = new ApolloArmor({
    maxDepth: { n: config.graphql.maxDepth, ignoreIntrospection: true },
    maxAliases: { n: config.graphql.maxAliases },
    costLimit: { maxCost: config.graphql.maxCost, ignoreIntrospection: true },
    // Apollo's own parser enforces the token limit (parseOptions in graphqlOptions; the subscriptions' parse too):
    // armor's version answers a syntax error with HTTP 500.
    maxTokens: { enabled: false },
    maxDirectives: { n: 20 },
    blockFieldSuggestion: { enabled: !config.graphql.introspection },
  });
  return armor.protect();
}

/**
 * Subscriptions are served over graphql-ws only. Apollo would run one sent over HTTP as if it were a query: the root
 * field's `resolve` without its `subscribe` (and so without the policy guard), failing on the missing event.
 */
const subscriptionsOverWebSocketOnly = {
  async requestDidStart() {
    return {
      // `operation` is undefined when the document names none that fits (several operations, no operationName):
      // Apollo then answers OPERATION_RESOLUTION_FAILURE itself.
      async didResolveOperation({ operation }: { operation?: OperationDefinitionNode | null }) {
        if (operation?.operation !== 'subscription') return;
        throw new GraphQLError('サブスクリプションは WebSocket (graphql-ws) で購読してください。', {
          extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
        });
      },
    };
  },
};

/**
 * Apollo as Tasuki serves it: code-first, sorted schema; the query limits above (and the token limit of Apollo's
 * parser); batched HTTP requests refused; introspection and the sandbox page only where configured (on in
 * development, off in production). Subscriptions are served by SubscriptionServer (graphql-ws) on the same path.
 */
export function graphqlOptions(config: AppConfig, logger: Logger): ApolloDriverConfig {
  const protection = graphqlLimits(config);
  return {
    autoSchemaFile: true,
    sortSchema: true,
    path: GRAPHQL_PATH,
    introspection: config.graphql.introspection,
    playground: false,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: config.graphql.maxTokens },
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // Nest's plugin would answer 200 whatever an execution error says; rateLimitedStatus decides the one case (429).
    preserveHttpStatusForExecutionErrors: false,
    // A field typed `Date` is an instant: it gets Tasuki's strict DateTime, never Nest's lenient one of the same name.
    buildSchemaOptions: { dateScalarMode: 'isoDate', scalarsMap: [{ type: Date, scalar: DateTimeScalar }] },
    resolvers: { Date: DateScalar, DateTime: DateTimeScalar },
    // graphql-armor and the landing pages are typed against @apollo/server's CommonJS declarations, Nest's driver
    // against its ESM ones: the same objects at run time.
    plugins: [
      ...protection.plugins,
      subscriptionsOverWebSocketOnly,
      requestTransactionPlugin(logger),
      // Apollo installs its cache-control plugin by default; its willResolveField wraps every field's resolver
      // (the scalars' too) to collect cache hints Tasuki never gives: a list of 50 cases paid it about 600 times.
      ApolloServerPluginCacheControlDisabled(),
      rateLimitedStatus,
      config.graphql.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageDisabled(),
    ] as unknown as ApolloDriverConfig['plugins'],
    validationRules: protection.validationRules,
    formatError: formatError(logger),
    context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
  };
}
