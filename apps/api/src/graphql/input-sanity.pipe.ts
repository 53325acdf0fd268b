import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { LONE_SURROGATE } from '@tasuki/domain';
import { badInput } from '@tasuki/platform';

/** The parameter kinds that carry caller input: HTTP body, query and route params; GraphQL arguments (GqlParamtype.ARGS). */
const INPUT_KINDS = new Set<unknown>(['body', 'query', 'param', 3]);

/** Nesting beyond this is no input Tasuki takes (its deepest input is a list of objects of lists). */
const MAX_DEPTH = 8;

/**
 * The first check of every argument of every resolver and controller (a global pipe), before any service sees it:
 * no string anywhere in it may hold a NUL (PostgreSQL refuses it in text, which would surface as an internal error)
 * or a lone surrogate (not a character; UTF-8 would turn it into U+FFFD), and no input nests deeper than MAX_DEPTH.
 * What a field may hold beyond that (control and bidi characters, lengths, codes) is the domain's validation.
 */
@Injectable()
export class InputSanityPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // Not the request, the GraphQL context or info, nor the RequestContext: only what the caller sent.
    if (!INPUT_KINDS.has(metadata.type)) return value;
    check(value, metadata.data ?? 'input', 0);
    return value;
  }
}

/** `field` names the input field as the domain's refusals do: the innermost key (`note`, not `input.note`). */
function check(value: unknown, field: string, depth: number): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000') || LONE_SURROGATE.test(value)) {
      throw badInput(field, `${field} に使用できない文字 (NUL または不正なサロゲート) が含まれています。`);
    }
    return;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date) return;
  if (depth >= MAX_DEPTH) throw badInput(field, `${field} の入れ子が深すぎます。`);
  if (Array.isArray(value)) {
    value.forEach((v) => check(v, field, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(value)) check(v, k, depth + 1);
}
