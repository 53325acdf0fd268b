import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, DiscoveryModule } from '@nestjs/core';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { DomainModule } from '@tasuki/domain';
import { PlatformModule, type AppConfig } from '@tasuki/platform';
import { AdminController } from './admin/admin.controller.js';
import { QueueDashboard } from './admin/queue-dashboard.js';
import { AuditResolver } from './audit/audit.resolver.js';
import { AuthResolver } from './auth/auth.resolver.js';
import { PolicyCoverage } from './auth/policy-coverage.js';
import { PolicyGuard } from './auth/policy.guard.js';
import { RateLimitGuard, RateLimits } from './auth/rate-limit.js';
import { AppErrorFilter } from './graphql/app-error.filter.js';
import { graphqlOptions } from './graphql/graphql.options.js';
import { InputSanityPipe } from './graphql/input-sanity.pipe.js';
import { HealthController } from './health/health.controller.js';
import { MembersResolver } from './members/members.resolver.js';
import { AssignmentResolver, CasesResolver, TimelineEntryResolver } from './cases/cases.resolver.js';
import { ClientsResolver, DataProvisionResolver } from './clients/clients.resolver.js';
import { ConsentsResolver } from './consents/consents.resolver.js';
import { LoaderFactory } from './graphql/loaders.js';
import { LiveNotifications } from './notifications/live-notifications.js';
import { NotificationsResolver } from './notifications/notifications.resolver.js';
import { SubscriptionServer } from './graphql/subscriptions.js';
import { API_LOGGER } from './api.tokens.js';
import { CasePlacementsResolver, PlacementsResolver } from './placements/placements.resolver.js';
import { HandoverCaseNoteResolver, HandoversResolver, TermEndingResolver } from './handovers/handovers.resolver.js';
import { ReferralsResolver } from './referrals/referrals.resolver.js';
import { OrganizationsResolver } from './organizations/organizations.resolver.js';
import { WebhooksResolver } from './webhooks/webhooks.resolver.js';
import { ExportsController } from './reporting/exports.controller.js';
import { ReportingResolver } from './reporting/reporting.resolver.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A caller's X-Request-Id is kept when it is well-formed; otherwise the request gets a fresh one. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

@Module({})
export class AppModule {
  static register(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            genReqId: requestId,
            autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                url: req.url,
              }),
            },
          },
        }),
        PlatformModule.forRoot(config, { applicationName: 'tasuki-api' }),
        DomainModule,
        DiscoveryModule,
        TerminusModule.forRoot({ logger: false }),
        GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, ...graphqlOptions(config, logger) }),
      ],
      controllers: [HealthController, AdminController, ExportsController],
      providers: [
        { provide: API_LOGGER, useValue: logger },
        AuthResolver,
        OrganizationsResolver,
        MembersResolver,
        ClientsResolver,
        DataProvisionResolver,
        CasesResolver,
        AssignmentResolver,
        TimelineEntryResolver,
        ConsentsResolver,
        ReferralsResolver,
        PlacementsResolver,
        CasePlacementsResolver,
        HandoversResolver,
        HandoverCaseNoteResolver,
        TermEndingResolver,
        NotificationsResolver,
        LiveNotifications,
        SubscriptionServer,
        WebhooksResolver,
        ReportingResolver,
        LoaderFactory,
        AuditResolver,
        QueueDashboard,
        PolicyCoverage,
        { provide: APP_GUARD, useClass: PolicyGuard },
        RateLimits,
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_FILTER, useClass: AppErrorFilter },
        { provide: APP_PIPE, useClass: InputSanityPipe },
      ],
    };
  }
}
