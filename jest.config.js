// globalSetup/teardown run from dist/ (built by `npm test`): jest loads them outside its module mapper.
// Jest runs in ESM mode: NestJS 12 is ESM-only and jest cannot require() ESM below Node 24.9 (see docs/decisions.md).
const swcrc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2023',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

/** @type {import('jest').Config} */
export default {
  rootDir: '.',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swcrc] },
  moduleNameMapper: {
    '^@tasuki/platform$': '<rootDir>/libs/platform/src/index.ts',
    '^@tasuki/platform/(.*)\\.js$': '<rootDir>/libs/platform/src/$1.ts',
    '^@tasuki/domain$': '<rootDir>/libs/domain/src/index.ts',
    '^@tasuki/domain/(.*)\\.js$': '<rootDir>/libs/domain/src/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/bench/'],
  globalSetup: '<rootDir>/dist/test/harness/global-setup.js',
  globalTeardown: '<rootDir>/dist/test/harness/global-teardown.js',
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/harness/closing-line-reporter.cjs'],
};
