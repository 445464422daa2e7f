// ESLint (typescript-eslint, flat config). Lives under test/ with the rest of the checks that
// `npm test` runs; package.json points at it with -c.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import regexp from 'eslint-plugin-regexp';

/** Every IMAP APPEND passes the canonical check (issue 18): only appendMessage() may call append(). */
const APPEND_ONLY_THROUGH_CHECK = { selector: "CallExpression[callee.property.name='append']", message: 'Store messages with appendMessage() (src/core/compose/append.ts): it checks that they are canonical first.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/e2e/.vscode-server/**', 'test-results/**', 'out/**', '.cache/**', 'src/core/search/queryGrammar.js', 'src/core/search/queryGrammar.d.ts'] },
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
    // Text reaches VS Code's own UI only through src/util/ui.ts, which takes UiText and encodes it
    // for its surface (src/core/uiText.ts): no sender text can become a link, a command or an icon.
    files: ['src/**/*.ts'],
    ignores: ['src/util/ui.ts', 'src/core/**'],
    rules: {
      'no-restricted-properties': ['error',
        ...['showInformationMessage', 'showWarningMessage', 'showErrorMessage', 'withProgress', 'showQuickPick', 'createQuickPick', 'showInputBox', 'createInputBox', 'setStatusBarMessage', 'createStatusBarItem']
          .map((property) => ({ property, message: 'Use the UiText wrapper of src/util/ui.ts: sender text must be encoded for its surface.' })),
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.property.name='TreeItem']", message: 'Use treeItem() of src/util/ui.ts (UiText label, plain tooltip).' },
        { selector: "NewExpression[callee.property.name='MarkdownString']", message: 'No MarkdownString in VS Code UI: text from mail is plain text (src/util/ui.ts).' },
        { selector: "AssignmentExpression[left.property.name=/^(tooltip|description|badge|accessibilityInformation)$/]", message: 'Use setTreeText()/setBadge() of src/util/ui.ts.' },
        { selector: "CallExpression[callee.name=/^(t|uiLiteral|uiFormat)$/][arguments.0.type!='Literal']", message: 'The sentence must be a string literal of ours; sender text goes in as an argument (uiPlain).' },
        APPEND_ONLY_THROUGH_CHECK,
      ],
    },
  },
  {
    // Every IMAP APPEND passes the canonical check (issue 18): only appendMessage() may call append().
    // (The adapter folders get the same rule in the block above: one no-restricted-syntax per file.)
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/compose/append.ts'],
    rules: {
      'no-restricted-syntax': ['error', APPEND_ONLY_THROUGH_CHECK],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
