// @swc/jest compiles both our TypeScript and Nest 12's ESM-only packages to CommonJS
// (plain ts-jest cannot load @nestjs/testing on Node 20; see docs/architecture.md, "Tests").
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      experimental: { keepImportAttributes: true },
    },
    module: { type: 'commonjs', ignoreDynamic: true },
  },
];
const common = {
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.(t|j)s$': swc },
  // ESM-only packages that CommonJS code requires (Node 20's require(esm) is not available in jest):
  // Nest 12, fractional-indexing and temporal-polyfill (with its temporal-utils) for tasks, and
  // jose for external issuers' tokens.
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|content-disposition|fractional-indexing|temporal-polyfill|temporal-utils|jose)/)',
  ],
  testEnvironment: 'node',
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testRegex: '.*\\.spec\\.ts$' },
    {
      ...common,
      displayName: 'e2e',
      rootDir: '.',
      testRegex: 'test/.*\\.(e2e|service)-spec\\.ts$',
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
