// ESLint (typescript-eslint, flat config). Lives under test/ with the rest of the checks that
// `npm test` runs; package.json points at it with -c.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import regexp from 'eslint-plugin-regexp';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/e2e/.vscode-server/**', 'test-results/**', 'out/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  // Sender input costs linear time: no regular expression may backtrack super-linearly
  // (issue 15.2). The plugin's recommended set, with the backtracking rules as errors.
  regexp.configs['flat/recommended'],
  {
    rules: {
      'regexp/no-super-linear-backtracking': ['error', { report: 'potential' }],
      'regexp/no-super-linear-move': ['error', { report: 'potential', ignorePartial: false, ignoreSticky: false }],
      'regexp/no-misleading-capturing-group': ['error', { reportBacktrackingEnds: true }],
      'regexp/optimal-quantifier-concatenation': 'error',
      'regexp/no-control-character': 'off',
      'regexp/no-unused-capturing-group': ['error', { fixable: true }],
    },
  },
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
      eqeqeq: ['error', 'always'],
      curly: 'error',
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core must not import vscode' }] }],
    },
  },
  {
    // Only the adapter folders may import vscode.
    files: ['src/**/*.ts'],
    ignores: ['src/core/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
