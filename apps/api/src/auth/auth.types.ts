import { Field, ObjectType } from '@nestjs/graphql';
import { Membership, User } from '../members/members.types.js';
import { Organization } from '../organizations/organizations.types.js';

@ObjectType({ description: 'サインイン中のユーザーと所属' })
export class Viewer {
  @Field(() => User)
  user!: User;

  @Field(() => [Membership])
  memberships!: Membership[];

  @Field(() => Organization, { nullable: true, description: 'このリクエストが代理する機関' })
  actingOrganization!: Organization | null;
}

@ObjectType()
export class AuthPayload {
  @Field()
  token!: string;

  @Field(() => User)
  user!: User;

  @Field(() => [Membership])
  memberships!: Membership[];
}
