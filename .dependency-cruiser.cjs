// dependency-cruiser config (CommonJS: the package is "type": "module"). The layering rules of
// ../shared/spec/ARCHITECTURE.md: libs never import apps, the worker never imports the api.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'libs-not-to-apps',
      comment: 'libs/* are shared by the api and the worker; they must not depend on an app.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'worker-not-to-api',
      comment: 'The worker imports libs/domain and libs/platform, never apps/api.',
      severity: 'error',
      from: { path: '^apps/worker' },
      to: { path: '^apps/api' },
    },
    {
      name: 'domain-not-to-apps',
      comment: 'The domain knows nothing of its delivery mechanisms (GraphQL api, BullMQ worker).',
      severity: 'error',
      from: { path: '^libs/domain' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles make module initialisation order fragile (and NestJS DI needs forwardRef for them).',
      severity: 'warn',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|\\.data)/' },
    // Count type-only imports too: a type import from apps/ into libs/ is still a layering breach.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
