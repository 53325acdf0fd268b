import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import type { Role } from '@tasuki/platform';
import { RoleEnum } from '../graphql/enums.js';
import { DateScalar } from '../graphql/scalars.js';
import { Organization } from '../organizations/organizations.types.js';

@ObjectType({ description: 'ユーザー' })
export class User {
  @Field(() => ID)
  id!: string;

  @Field({ description: '表示名' })
  displayName!: string;

  @Field()
  email!: string;
}

@ObjectType({ description: '機関への所属。ロールと任期満了日を持つ。' })
export class Membership {
  @Field(() => ID)
  id!: string;

  @Field(() => User)
  user!: User;

  @Field(() => Organization)
  organization!: Organization;

  @Field(() => [RoleEnum])
  roles!: Role[];

  @Field(() => DateScalar, { nullable: true, description: '任期満了日' })
  termEndsOn!: string | null;
}

@InputType()
export class AddMemberInput {
  @Field()
  email!: string;

  @Field()
  displayName!: string;

  @Field(() => [RoleEnum])
  roles!: Role[];

  @Field(() => String, {
    nullable: true,
    description: '新規アカウントの初期パスワード (12文字以上)。既存アカウントには適用されない。',
  })
  password?: string | null;

  @Field(() => DateScalar, { nullable: true })
  termEndsOn?: string | null;
}
