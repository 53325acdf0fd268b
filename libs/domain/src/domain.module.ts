import { Module } from '@nestjs/common';
import { AuditService } from './audit/audit.service.js';
import { AuthService } from './members/auth.service.js';
import { MembersService } from './members/members.service.js';
import { OrganizationsService } from './organizations/organizations.service.js';

const services = [AuditService, AuthService, MembersService, OrganizationsService];

/** The domain services. Needs PlatformModule (Database, TokenService, CONFIG) in the importing application. */
@Module({ providers: services, exports: services })
export class DomainModule {}
