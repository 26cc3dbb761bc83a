/** Unit specs sit beside the code; *.e2e-spec.ts in each app's test/ folder run real servers. */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
};

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '\\.(spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The libraries' names, as tsconfig.json's paths give them (the build rewrites them the same way).
  moduleNameMapper: {
    '^@switchboard/(api|gateway|standalone)$': '<rootDir>/apps/$1/src',
    '^@switchboard/client$': '<rootDir>/libs/client/src/node',
    '^@switchboard/protocol/testing$': '<rootDir>/libs/protocol/src/testing',
    '^@switchboard/([a-z-]+)$': '<rootDir>/libs/$1/src',
  },
  testTimeout: 30000,
};
