import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { AppConfig } from '@tasuki/platform';
import type { Logger } from 'pino';
import { formatError } from './format-error.js';
import { DateScalar, DateTimeScalar } from './scalars.js';

export const SCHEMA_FILE = 'apps/api/schema.graphql';

/**
 * Apollo as Tasuki serves it: code-first, sorted schema; query limits from graphql-armor (depth, aliases, cost,
 * tokens, directives; field suggestions off so the schema does not leak through typos); batched HTTP requests
 * refused; introspection and the sandbox page only where configured (on in development, off in production).
 */
export function graphqlOptions(config: AppConfig, logger: Logger): ApolloDriverConfig {
  const armor = new ApolloArmor({
    maxDepth: { n: config.graphql.maxDepth, ignoreIntrospection: true },
    maxAliases: { n: config.graphql.maxAliases },
    costLimit: { maxCost: config.graphql.maxCost, ignoreIntrospection: true },
    // Apollo's own parser enforces the token limit (parseOptions below): armor's version answers a syntax error
    // with HTTP 500.
    maxTokens: { enabled: false },
    maxDirectives: { n: 20 },
    blockFieldSuggestion: { enabled: !config.graphql.introspection },
  });
  const protection = armor.protect();
  return {
    autoSchemaFile: true,
    sortSchema: true,
    path: '/graphql',
    introspection: config.graphql.introspection,
    playground: false,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: config.graphql.maxTokens },
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // A field typed `Date` is an instant: it gets Tasuki's strict DateTime, never Nest's lenient one of the same name.
    buildSchemaOptions: { dateScalarMode: 'isoDate', scalarsMap: [{ type: Date, scalar: DateTimeScalar }] },
    resolvers: { Date: DateScalar, DateTime: DateTimeScalar },
    // graphql-armor and the landing pages are typed against @apollo/server's CommonJS declarations, Nest's driver
    // against its ESM ones: the same objects at run time.
    plugins: [
      ...protection.plugins,
      config.graphql.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageDisabled(),
    ] as unknown as ApolloDriverConfig['plugins'],
    validationRules: protection.validationRules,
    formatError: formatError(logger),
    context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
  };
}
