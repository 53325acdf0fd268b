import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { DataCategory, DisabilityCertificate, WorkDisclosure } from '@tasuki/domain';
import { DataCategoryEnum, DisabilityCertificateEnum, WorkDisclosureEnum } from '../graphql/enums.js';
import { DateScalar, DateTimeScalar } from '../graphql/scalars.js';

@ObjectType({
  description:
    '相談者。閲覧できない区分の項目は null になり、その項目名が redactedFields に入る。個人情報の項目を読むと監査記録が残る。',
})
export class Client {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: '姓 (IDENTITY)' })
  familyName!: string | null;

  @Field(() => String, { nullable: true, description: '名 (IDENTITY)' })
  givenName!: string | null;

  @Field(() => String, { nullable: true, description: '姓のフリガナ (IDENTITY)' })
  familyNameKana!: string | null;

  @Field(() => String, { nullable: true, description: '名のフリガナ (IDENTITY)' })
  givenNameKana!: string | null;

  @Field(() => DateScalar, { nullable: true, description: '生年月日 (IDENTITY)' })
  birthDate!: string | null;

  @Field(() => String, { nullable: true, description: '性別 FEMALE / MALE / OTHER / UNANSWERED (IDENTITY)' })
  sex!: string | null;

  @Field(() => String, { nullable: true, description: '都道府県コード (CONTACT)' })
  prefectureCode!: string | null;

  @Field(() => String, { nullable: true, description: '市区町村コード (CONTACT)' })
  municipalityCode!: string | null;

  @Field(() => String, { nullable: true, description: '電話番号 (CONTACT)' })
  phone!: string | null;

  @Field(() => String, { nullable: true, description: 'メールアドレス (CONTACT)' })
  email!: string | null;

  @Field(() => [Int], { nullable: true, description: '指定難病の告示番号 (HEALTH)' })
  designatedDiseaseNumbers!: number[] | null;

  @Field(() => DisabilityCertificateEnum, { nullable: true, description: '障害者手帳 (HEALTH)' })
  disabilityCertificate!: DisabilityCertificate | null;

  @Field(() => WorkDisclosureEnum, { nullable: true, description: '職場への開示の希望 (EMPLOYMENT)' })
  disclosure!: WorkDisclosure | null;

  @Field(() => [String], { description: '秘匿された項目名 (閲覧できない区分の項目)' })
  redactedFields!: string[];

  @Field(() => [DataCategoryEnum], { description: 'この機関が閲覧できる情報の区分' })
  visibleCategories!: DataCategory[];
}

@ObjectType({ description: '第三者提供記録: 相談者の情報を他機関へ提供した記録。変更されない。' })
export class DataProvision {
  @Field(() => ID)
  id!: string;

  @Field(() => [DataCategoryEnum], { description: '提供した情報の区分' })
  categories!: DataCategory[];

  @Field(() => ID, { nullable: true, description: '提供の契機となった紹介' })
  referralId!: string | null;

  @Field(() => DateTimeScalar, { description: '提供日時' })
  providedAt!: Date;
}

@InputType({ description: '相談者の登録' })
export class RegisterClientInput {
  @Field({ description: '姓' })
  familyName!: string;

  @Field({ description: '名' })
  givenName!: string;

  @Field(() => String, { nullable: true, description: '姓のフリガナ (全角カタカナ)' })
  familyNameKana?: string | null;

  @Field(() => String, { nullable: true, description: '名のフリガナ (全角カタカナ)' })
  givenNameKana?: string | null;

  @Field(() => DateScalar, { description: '生年月日' })
  birthDate!: string;

  @Field(() => String, { nullable: true, description: '性別 FEMALE / MALE / OTHER / UNANSWERED' })
  sex?: string | null;

  @Field({ description: '都道府県コード ("01"〜"47")' })
  prefectureCode!: string;

  @Field(() => String, { nullable: true, description: '市区町村コード (検査数字付き6桁)' })
  municipalityCode?: string | null;

  @Field(() => String, { nullable: true, description: '電話番号' })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'メールアドレス' })
  email?: string | null;

  @Field(() => [Int], { nullable: true, description: '指定難病の告示番号' })
  designatedDiseaseNumbers?: number[] | null;

  @Field(() => DisabilityCertificateEnum, { nullable: true, description: '障害者手帳' })
  disabilityCertificate?: DisabilityCertificate | null;

  @Field(() => WorkDisclosureEnum, { nullable: true, description: '職場への開示の希望' })
  disclosure?: WorkDisclosure | null;
}
