import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { OrganizationKind } from '@tasuki/domain';
import { OrganizationKindEnum } from '../graphql/enums.js';
import { PageInfo } from '../graphql/common.types.js';

@ObjectType({ description: '機関 (テナント)。ディレクトリ項目のみで、どの機関のメンバーも閲覧できる。' })
export class Organization {
  @Field(() => ID)
  id!: string;

  @Field({ description: '機関名' })
  name!: string;

  @Field(() => OrganizationKindEnum, { description: '機関種別' })
  kind!: OrganizationKind;

  @Field({ description: '都道府県コード (JIS X 0401, "01"〜"47")' })
  prefectureCode!: string;

  @Field(() => String, { nullable: true, description: '市区町村コード (検査数字付き6桁)' })
  municipalityCode!: string | null;

  @Field(() => [String], { description: '提供している支援' })
  services!: string[];

  @Field({ description: '紹介を受け付けているか' })
  acceptsReferrals!: boolean;

  @Field(() => String, { nullable: true, description: '連絡先 (窓口の電話・メールなど)' })
  contact!: string | null;
}

@ObjectType()
export class OrganizationConnection {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => [Organization])
  nodes!: Organization[];
}

@InputType()
export class OrganizationFilter {
  @Field(() => OrganizationKindEnum, { nullable: true })
  kind?: OrganizationKind | null;

  @Field(() => String, { nullable: true })
  prefectureCode?: string | null;

  @Field(() => Boolean, { nullable: true })
  acceptsReferrals?: boolean | null;

  @Field(() => String, { nullable: true, description: '機関名・支援内容の部分一致' })
  search?: string | null;
}

@InputType()
export class CreateOrganizationInput {
  @Field()
  name!: string;

  @Field(() => OrganizationKindEnum)
  kind!: OrganizationKind;

  @Field()
  prefectureCode!: string;

  @Field(() => String, { nullable: true })
  municipalityCode?: string | null;

  @Field(() => [String], { nullable: true })
  services?: string[] | null;

  @Field(() => Boolean, { nullable: true })
  acceptsReferrals?: boolean | null;

  @Field(() => String, { nullable: true })
  contact?: string | null;
}
