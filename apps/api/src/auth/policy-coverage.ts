import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { GraphQLSchemaHost, RESOLVER_NAME_METADATA, RESOLVER_TYPE_METADATA } from '@nestjs/graphql';
import { POLICY_KEY } from '@tasuki/platform';

const ROOTS = ['Query', 'Mutation', 'Subscription'];

/**
 * Every root field must declare its policy (@Public, @SignedIn or @Can). The guard already refuses a handler
 * without one at run time; this refuses to start the API at all, so a forgotten policy never reaches a user.
 */
@Injectable()
export class PolicyCoverage implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly schemaHost: GraphQLSchemaHost,
  ) {}

  /** The served root fields (e.g. "Mutation.addMember") whose resolver declares no policy. */
  missingPolicies(): string[] {
    const declared = new Set<string>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const handler = proto[method] as () => unknown;
        const type = Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler) as string | undefined;
        if (!type || !ROOTS.includes(type)) continue;
        const name = (Reflect.getMetadata(RESOLVER_NAME_METADATA, handler) as string | undefined) ?? method;
        if (this.reflector.getAllAndOverride(POLICY_KEY, [handler, instance.constructor]))
          declared.add(`${type}.${name}`);
      }
    }
    const schema = this.schemaHost.schema;
    return [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      .flatMap((t) => (t ? Object.keys(t.getFields()).map((f) => `${t.name}.${f}`) : []))
      .filter((field) => !declared.has(field));
  }

  onApplicationBootstrap(): void {
    const missing = this.missingPolicies();
    if (missing.length) throw new Error(`root fields without a policy: ${missing.join(', ')}`);
  }
}
