import { Module } from '@nestjs/common';
import { AuditService } from './audit/audit.service.js';
import { AuthService } from './members/auth.service.js';
import { MembersService } from './members/members.service.js';
import { OrganizationsService } from './organizations/organizations.service.js';
import { CasesService } from './cases/cases.service.js';
import { ClientsService } from './clients/clients.service.js';
import { ConsentsService } from './consents/consents.service.js';
import { PlacementsService } from './placements/placements.service.js';
import { NotificationFeed } from './notifications/notification-feed.js';
import { NotificationsService } from './notifications/notifications.service.js';
import { OutboxService } from './outbox/outbox.service.js';
import { RemindersService } from './reminders/reminders.service.js';
import { HandoversService } from './handovers/handovers.service.js';
import { ReferralsService } from './referrals/referrals.service.js';
import { TimelineService } from './timeline/timeline.service.js';
import { WebhookDeliveryService } from './webhooks/webhook-delivery.service.js';
import { WebhooksService } from './webhooks/webhooks.service.js';
import { ReportExportJob } from './reporting/export-job.js';
import { ReportExportsService } from './reporting/report-exports.service.js';

const services = [
  AuditService,
  AuthService,
  MembersService,
  OrganizationsService,
  ClientsService,
  CasesService,
  TimelineService,
  ConsentsService,
  ReferralsService,
  PlacementsService,
  HandoversService,
  NotificationsService,
  NotificationFeed,
  OutboxService,
  RemindersService,
  WebhooksService,
  WebhookDeliveryService,
  ReportExportsService,
  ReportExportJob,
];

/**
 * The domain services. Needs PlatformModule (Database, RedisConnection, TokenService, CONFIG) in the importing
 * application.
 */
@Module({ providers: services, exports: services })
export class DomainModule {}
