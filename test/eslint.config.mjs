// ESLint (typescript-eslint, flat config). Lives under test/ with the rest of the checks that
// `npm test` runs; package.json points at it with -c.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/e2e/.vscode-server/**', 'test-results/**', 'out/**', '.cache/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
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
    // Every IMAP APPEND passes the canonical check (issue 18): only appendMessage() may call append().
    files: ['src/**/*.ts'],
    ignores: ['src/core/compose/append.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.property.name='append']", message: 'Store messages with appendMessage() (src/core/compose/append.ts): it checks that they are canonical first.' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
