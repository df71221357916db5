// ESLint flat config for trainer. It lives beside its own node_modules (typescript-eslint needs
// TypeScript's JavaScript API, which the project's TypeScript 7 no longer ships); the root
// eslint.config.js re-exports it so `npx eslint` finds it from anywhere in the repository.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', 'src/store/generated/**', 'web/src/generated/**', 'dist/**', 'web/dist/**', '.native/**', 'tmp/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      // Prettier wraps code at 140 (.prettierrc) but leaves long strings, template literals, regexes
      // and comments as they are: this catches those. Core `max-len` is deprecated in favour of
      // @stylistic/eslint-plugin's rule of the same name and options, and ESLint 11 drops it: move
      // to that plugin when upgrading ESLint.
      'max-len': ['error', { code: 140 }],
      // `_name` marks a parameter a signature needs but the body does not use (callbacks, hooks).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `[${shape}]` in an error message is how this codebase prints a shape (Array#join's commas,
      // on purpose); every other non-string in a template still has to be converted explicitly.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowArray: true, allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      // A `let` that closures capture before its one assignment (src/api/routes/events.ts) is fine.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // For tfjs ops the fix is an explicit type argument (`tf.mean<tf.Scalar>(x)`), not a cast of the result.
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // node:test's test()/describe() return promises the runner itself awaits; everything else
      // that floats is a bug (a lost rejection), so the rule stays on for all other calls.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      // Fastify plugins, hooks and handlers are async by contract (Fastify awaits what they return,
      // and a sync one must call done()); many of ours have nothing to await. Requiring an await
      // there would push us to the callback style Fastify's docs discourage.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read HTTP and IPC bodies as untyped JSON and assert on them field by field: typing
    // every body would restate the schemas the tests are meant to check independently. "No any"
    // is a rule for src/ (STYLE.md); src/ keeps these rules on.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript (bin/, this config): no type information to lint against.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
