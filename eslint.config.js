// ESLint (flat config): typescript-eslint with type information, so promise mistakes are caught
// (`no-floating-promises`: an un-awaited promise whose rejection nobody handles crashes or hides an error).
// The layering rules live in .dependency-cruiser.cjs; `npm run lint` runs both.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/fixtures/**', 'test/frameworks/**', 'docs/**', 'build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/essential'],
  {
    files: ['**/*.ts', '**/*.cts', '**/*.mts', '**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: {
        parser: tseslint.parser,
        // Each file is checked with the tsconfig that builds it (the first one that includes it).
        project: ['./tsconfig.json', './electron/tsconfig.json', './renderer/tsconfig.json', './tsconfig.vite.json'],
        extraFileExtensions: ['.vue'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // TypeScript itself reports undefined names, with the right globals per tsconfig (DOM or node).
      'no-undef': 'off',
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      // A leading underscore marks a parameter or binding kept for its position or to drop a property.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Component names follow the UI's own vocabulary (Icon, Sparkline…), not a multi-word rule made for globals.
      'vue/multi-word-component-names': 'off',
      // Matching control characters is how Berth refuses or escapes them (paths, headers, HTML).
      'no-control-regex': 'off',
    },
  },
  {
    // The worker bootstrap and the preload are CommonJS on purpose (preloaded with --require; Electron's sandbox).
    files: ['**/*.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Plain CommonJS apps and references for the benchmark, written as a user's iisnode app would be.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // In Node 24 an ES import of node:http loads undici (about 13 MB): the engine takes it from core/util/node-http.ts.
    files: ['core/**/*.ts', 'electron/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'node:http', allowTypeImports: true, message: 'Import { http } from core/util/node-http.ts (an ES import of node:http loads undici: ~13 MB).' }, { name: 'http', allowTypeImports: true, message: 'Import { http } from core/util/node-http.ts.' }] },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
);
