/**
 * The WHERE clause of a list query, built from optional filters: each condition takes the next `$n` placeholders for
 * its values, so values never enter the SQL text. A list copies its filters to add the cursor's condition, because
 * the total count must not see the cursor.
 */
export class SqlConditions {
  constructor(
    readonly params: unknown[] = [],
    private readonly conditions: string[] = [],
  ) {}

  add(condition: (...placeholders: string[]) => string, ...values: unknown[]): this {
    const placeholders = values.map((v) => this.param(v));
    this.conditions.push(condition(...placeholders));
    return this;
  }

  /** The placeholder for a value used outside the conditions (LIMIT). */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** `WHERE a AND b`, or nothing when there is no condition. */
  get sql(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }

  copy(): SqlConditions {
    return new SqlConditions([...this.params], [...this.conditions]);
  }
}
