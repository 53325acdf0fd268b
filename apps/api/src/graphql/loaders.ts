import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import {
  CasesService,
  ClientsService,
  ConsentsService,
  HandoversService,
  MembersService,
  OrganizationsService,
  PlacementsService,
  ReferralsService,
  TimelineService,
  type ClientRead,
  type TimelinePageKey,
} from '@tasuki/domain';
import type { RequestContext } from '@tasuki/platform';
import { selectedFields } from './selection.js';

type Batch<V> = (ctx: RequestContext, ids: readonly string[]) => Promise<Map<string, V>>;

/**
 * The DataLoaders of one request: every field resolver that reads another object goes through them, so a list of
 * fifty cases costs the same number of statements as a list of five. Keys carry the acting organization, so a
 * loader can never answer one organization's key from another's batch.
 */
export class RequestLoaders {
  constructor(
    private readonly ctx: RequestContext,
    private readonly s: LoaderFactory,
  ) {}

  // Field initializers run before the constructor's parameter properties are set: read them lazily only.
  private byId<V>(batch: Batch<V>) {
    return new DataLoader<string, V | null, string>(
      async (ids) => {
        const found = await batch(this.ctx, ids);
        return ids.map((id) => found.get(id) ?? null);
      },
      { cacheKeyFn: (id) => `${this.ctx.orgId}:${id}` },
    );
  }

  readonly organization = this.byId((ctx, ids) => this.s.organizations.byIds(ctx, ids));
  readonly user = this.byId((ctx, ids) => this.s.members.usersByIds(ctx, ids));
  readonly case = this.byId((ctx, ids) => this.s.cases.byIds(ctx, ids));
  readonly consent = this.byId((ctx, ids) => this.s.consents.byIds(ctx, ids));
  readonly assignments = this.byId((ctx, ids) => this.s.cases.assignmentsByCaseIds(ctx, ids));
  /** Current assignees with their users in one statement; the users loader learns them too. */
  readonly assignees = this.byId(async (ctx, ids) => {
    const found = await this.s.cases.currentAssigneesByCaseIds(ctx, ids);
    for (const users of found.values()) for (const u of users) this.user.prime(u.id, u);
    return found;
  });
  readonly consentsOfClient = this.byId((ctx, ids) => this.s.consents.byClientIds(ctx, ids));
  readonly provisionsOfClient = this.byId((ctx, ids) => this.s.clients.provisionsByClientIds(ctx, ids));
  readonly referralHistory = this.byId((ctx, ids) => this.s.referrals.historyByIds(ctx, ids));
  readonly sharedNotes = this.byId((ctx, ids) => this.s.timeline.sharedByClientIds(ctx, ids));
  readonly placementsOfCase = this.byId((ctx, ids) => this.s.placements.placementsByCaseIds(ctx, ids));
  readonly followUpsOfCase = this.byId((ctx, ids) => this.s.placements.followUpsByCaseIds(ctx, ids));
  readonly handoverNotes = this.byId((ctx, ids) => this.s.handovers.notesByHandoverIds(ctx, ids));
  readonly handoverPack = this.byId((ctx, ids) => this.s.handovers.packsByCaseIds(ctx, ids));

  readonly timeline = new DataLoader<TimelinePageKey, Awaited<ReturnType<TimelineService['pages']>>[number], string>(
    (keys) => this.s.timeline.pages(this.ctx, keys),
    { cacheKeyFn: (k) => `${this.ctx.orgId}:${k.caseId}:${k.first ?? ''}:${k.after ?? ''}` },
  );

  private readonly profiles = new DataLoader<ClientRead, Awaited<ReturnType<ClientsService['get']>>, string>(
    async (reads) => {
      const found = await this.s.clients.profiles(this.ctx, reads);
      return reads.map((r) => found.get(r.id)!);
    },
    { cacheKeyFn: (r) => `${this.ctx.orgId}:${r.id}:${[...r.fields].sort().join(',')}` },
  );

  /** A client's profile with the fields this part of the query selected (they are what the audit records). */
  client(id: string, info: GraphQLResolveInfo) {
    return this.profiles.load({ id, fields: selectedFields(info) });
  }
}

@Injectable()
export class LoaderFactory {
  private readonly perRequest = new WeakMap<RequestContext, RequestLoaders>();

  constructor(
    readonly organizations: OrganizationsService,
    readonly members: MembersService,
    readonly clients: ClientsService,
    readonly cases: CasesService,
    readonly timeline: TimelineService,
    readonly consents: ConsentsService,
    readonly referrals: ReferralsService,
    readonly placements: PlacementsService,
    readonly handovers: HandoversService,
  ) {}

  /** The loaders of the request `ctx` belongs to (created on first use, dropped with the request). */
  of(ctx: RequestContext): RequestLoaders {
    let loaders = this.perRequest.get(ctx);
    if (!loaders) {
      loaders = new RequestLoaders(ctx, this);
      this.perRequest.set(ctx, loaders);
    }
    return loaders;
  }
}
