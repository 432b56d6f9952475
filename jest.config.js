// Two projects: the whole suite runs once on Express 5 and once on Express 4 (installed as
// the `express4` alias), so both peer versions are proven on every run.
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];
// Examples import the package by name, like user code; here that name is the source
// (tsconfig.json `paths` and scripts/register-ts.js map it the same way).
const self = {
  '^express-oauth2-provider$': '<rootDir>/lib/index.ts',
  '^express-oauth2-provider/(postgres|testing)$': '<rootDir>/lib/$1/index.ts',
};
const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // oauth4webapi ships ES modules only; swc turns them into CommonJS for jest.
  transform: { '^.+\\.(t|m?j)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!oauth4webapi/)'],
};
module.exports = {
  projects: [
    { ...base, displayName: 'express5', moduleNameMapper: { ...self }, globals: { EXPECTED_EXPRESS_MAJOR: 5 } },
    {
      ...base,
      displayName: 'express4',
      moduleNameMapper: { ...self, '^express$': 'express4' },
      globals: { EXPECTED_EXPRESS_MAJOR: 4 },
      // The real-browser tests run once (express5): the pages do not depend on the Express
      // major, and test/examples covers the same flow over HTTP on both.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/'],
    },
  ],
};
