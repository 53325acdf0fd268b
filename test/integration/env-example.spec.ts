import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ENV_VARIABLES } from '@tasuki/platform';

describe('.env.example', () => {
  it('documents every variable of the env schema, and no variable the schema does not read', () => {
    const text = readFileSync('.env.example', 'utf8');
    const documented = new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const schemaKeys = ENV_VARIABLES;
    expect([...documented].sort()).toEqual([...schemaKeys].sort());
  });
});
