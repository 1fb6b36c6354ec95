// Lint (npm run lint; scripts/test.mjs runs it before the tests): rules that find bugs, not style. The formatting
// stays as written. TypeScript files are linted with type information so that a promise nobody awaits or catches
// (an unhandled rejection ends the kiosk or the hub) is found; that costs a TypeScript program, about as long as
// a tsc build, which is why npm test keeps a cache (node_modules/.cache/eslint) and npm run lint does not.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { defineConfig } from 'eslint/config';

// unused names: `_`-prefixed ones and the rest of a destructuring that drops a key are meant
const unused = ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }];

const bugs = {
  eqeqeq: ['error', 'always', { null: 'ignore' }], // == only against null (null or undefined)
  'no-self-compare': 'error',
  'no-template-curly-in-string': 'error', // '${x}' in a plain string: meant a template
  'array-callback-return': 'error', // map/filter/find callbacks that forget to return
  'no-unreachable-loop': 'error',
  'prefer-const': 'off', // style: a let never reassigned is not a bug
  // off: matching control characters is deliberate here (log lines escape them, input refuses them, tests strip
  // terminal colours); each of the 6 hits was meant
  'no-control-regex': 'off',
  // off: the errors here already quote the caught one's message or code in their single line (5 hits, none lost
  // information)
  'preserve-caught-error': 'off',
  // off: its 5 hits were initial values kept for the reader and a trailing o++, none a lost value; tsc already
  // refuses a read before the first assignment
  'no-useless-assignment': 'off',
};

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'dist-*/', 'test-artifacts/', 'bench-out/', '.ci/'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      globals: globals.node,
      // the tsconfig's one program (faster here than projectService: 22 s against 25 s, 0.7 GB against 1 GB)
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      ...bugs,
      '@typescript-eslint/no-unused-vars': unused,
      // promises: each needs the types
      '@typescript-eslint/no-floating-promises': 'error', // a promise neither awaited nor caught nor marked `void`
      '@typescript-eslint/no-misused-promises': 'error', // an async callback where nobody handles its rejection; a promise as a condition
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error', // a thrown string has no stack
      '@typescript-eslint/no-for-in-array': 'error',
    },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: { ...bugs, 'no-unused-vars': unused },
  },
  {
    // the two pages' scripts: plain browser scripts, no modules, no build step
    files: ['hub/web/**/*.js', 'kiosk/web/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
    rules: { ...bugs, 'no-unused-vars': unused },
  },
);
