// Two projects: the whole suite runs once on Express 5 and once on Express 4 (installed as
// the `express4` alias), so both peer versions are proven on every run.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];
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
    { ...base, displayName: 'express5' },
    { ...base, displayName: 'express4', moduleNameMapper: { '^express$': 'express4' } },
  ],
};
