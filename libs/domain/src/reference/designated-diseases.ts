import { badInput, type Tx } from '@tasuki/platform';

/** The numbers of the 指定難病 list in force since 2025-04-01; used when no list has been imported. */
export const DESIGNATED_DISEASE_FALLBACK_MAX = 348;
/** The largest number the designated_diseases table accepts (its CHECK constraint). */
export const DESIGNATED_DISEASE_NUMBER_MAX = 9999;
export const MAX_DISEASES_PER_CLIENT = 10;

/**
 * Checks designated-disease numbers: integers, no duplicates, at most ten, and each one on the imported list (or,
 * before any import, within 1–348). Returns them sorted.
 */
export async function assertDesignatedDiseaseNumbers(
  tx: Tx,
  field: string,
  numbers: readonly number[],
): Promise<number[]> {
  if (numbers.length > MAX_DISEASES_PER_CLIENT) {
    throw badInput(field, `指定難病は${MAX_DISEASES_PER_CLIENT}件以内で指定してください。`);
  }
  if (new Set(numbers).size !== numbers.length) throw badInput(field, '指定難病の番号に重複があります。');
  if (numbers.some((n) => !Number.isInteger(n) || n < 1 || n > DESIGNATED_DISEASE_NUMBER_MAX)) {
    throw badInput(field, '指定難病の番号が正しくありません。');
  }
  if (numbers.length === 0) return [];
  const [{ imported, known }]: { imported: boolean; known: number[] }[] = await tx.query(
    `SELECT EXISTS (SELECT 1 FROM designated_diseases) AS imported,
            ARRAY(SELECT number FROM designated_diseases WHERE number = ANY ($1::int[])) AS known`,
    [numbers],
  );
  const unknown = imported
    ? numbers.filter((n) => !known.includes(n))
    : numbers.filter((n) => n > DESIGNATED_DISEASE_FALLBACK_MAX);
  if (unknown.length > 0) {
    throw badInput(field, `指定難病の一覧にない番号です: ${unknown.join(', ')}`);
  }
  return [...numbers].sort((a, b) => a - b);
}
