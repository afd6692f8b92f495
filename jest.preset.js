// Shared jest settings: swc for speed (types are checked by `npm run typecheck`),
// tsconfig path aliases mapped so tests import libraries the way apps do.
const { compilerOptions } = require('./tsconfig.base.json');
const path = require('node:path');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace(/[/]/g, '\\/')}$`] = path.join(__dirname, target);
}

const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

/** @param {string} projectDir @param {'unit'|'integration'} kind */
function jestConfig(projectDir, kind) {
  const name = path.relative(__dirname, projectDir);
  return {
    displayName: `${name}:${kind}`,
    rootDir: projectDir,
    testEnvironment: 'node',
    transform: { '^.+\\.[tj]s$': swcTransform },
    moduleFileExtensions: ['ts', 'js', 'json'],
    moduleNameMapper,
    testMatch: kind === 'unit' ? ['<rootDir>/**/*.spec.ts'] : ['<rootDir>/**/*.integration-spec.ts'],
    testTimeout: kind === 'unit' ? 10_000 : 120_000,
    setupFiles: [path.join(__dirname, 'tools/ci/jest/setup-reflect.js')],
    reporters: ['default', [path.join(__dirname, 'tools/ci/jest/summary-reporter.js'), { name: `${name}:${kind}` }]],
  };
}

module.exports = { jestConfig };
