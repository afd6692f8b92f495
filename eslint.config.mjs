import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Module boundaries are enforced on two axes (see README "Design"):
//   type: app -> feature -> data-access -> util (util libraries stay pure: no I/O clients)
//   scope: a service's own code may use shared code, never another service's.
const ioPackages = ['kafkajs', 'ioredis', 'onnxruntime-node', '@nestjs/*', 'prom-client', 'pino', 'nestjs-pino'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/.cache', '**/.local', '**/reports', '**/*.generated.ts'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'], bannedExternalImports: ioPackages },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:text-cleaner', onlyDependOnLibsWithTags: ['scope:shared', 'scope:text-cleaner'] },
            { sourceTag: 'scope:encoder', onlyDependOnLibsWithTags: ['scope:shared', 'scope:encoder'] },
            { sourceTag: 'scope:profile-fuser', onlyDependOnLibsWithTags: ['scope:shared', 'scope:profile-fuser'] },
            // Workspace tooling (tools/: operator commands, benchmarks and evaluation, the model toolchain,
            // CI, and their libraries under tools/libs) may use every library.
            {
              sourceTag: 'scope:tools',
              onlyDependOnLibsWithTags: [
                'scope:shared',
                'scope:tools',
                'scope:text-cleaner',
                'scope:encoder',
                'scope:profile-fuser',
              ],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // With noUncheckedIndexedAccess, `xs[i]!` inside a bounds-checked loop is the honest form.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The main entry of text-cleaning loads the language detector (about 25 MB of heap): the fuser
    // only redacts, and its memory budget is tight (README, "profile-fuser").
    files: ['apps/profile-fuser/src/**/*.ts', 'libs/profile-fuser/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@profilestream/text-cleaning',
              message: 'import redactPersonalData from @profilestream/text-cleaning/redaction',
            },
          ],
        },
      ],
    },
  },
];
