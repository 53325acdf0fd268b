import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import type { ConsentGrantor, ConsentMethod, ConsentPurpose, ConsentStatus, DataCategory } from '@tasuki/domain';
import {
  ConsentGrantorEnum,
  ConsentMethodEnum,
  ConsentPurposeEnum,
  ConsentStatusEnum,
  DataCategoryEnum,
} from '../graphql/enums.js';
import { DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({ description: '同意: 本人が、どの機関に、何の目的で、どの区分の情報の提供を認めたか' })
export class ConsentGrant {
  @Field(() => ID)
  id!: string;

  @Field(() => [ConsentPurposeEnum])
  purposes!: ConsentPurpose[];

  @Field(() => [DataCategoryEnum])
  categories!: DataCategory[];

  @Field(() => ConsentMethodEnum)
  method!: ConsentMethod;

  @Field(() => ConsentGrantorEnum, { description: '同意した人 (本人・代理人)' })
  grantedBy!: ConsentGrantor;

  @Field(() => DateTimeScalar)
  grantedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  withdrawnAt!: Date | null;

  @Field(() => String, { nullable: true, description: '撤回の理由 (記録した機関のみ)' })
  withdrawalReason!: string | null;

  @Field(() => String, { nullable: true, description: '同意書などの保管場所 (記録した機関のみ)' })
  evidenceRef!: string | null;

  @Field(() => ConsentStatusEnum)
  status!: ConsentStatus;
}

@InputType({ description: '同意の記録' })
export class RecordConsentInput {
  @Field(() => ID)
  clientId!: string;

  @Field(() => [ID], { description: '提供先の機関' })
  recipientOrganizationIds!: string[];

  @Field(() => [ConsentPurposeEnum])
  purposes!: ConsentPurpose[];

  @Field(() => [DataCategoryEnum])
  categories!: DataCategory[];

  @Field(() => ConsentMethodEnum)
  method!: ConsentMethod;

  @Field(() => DateTimeScalar, { nullable: true, description: '有効期限' })
  expiresAt?: Date | null;

  @Field(() => String, { nullable: true, description: '同意書などの保管場所' })
  evidenceRef?: string | null;

  @Field(() => ConsentGrantorEnum, { nullable: true, description: '同意した人 (省略時は本人)' })
  grantedBy?: ConsentGrantor | null;

  @Field(() => DateTimeScalar, { nullable: true, description: '同意を得た日時 (省略時は現在)' })
  grantedAt?: Date | null;
}
