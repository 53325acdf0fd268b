import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'ページ情報 (カーソル方式)' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}
