// The lint rule that keeps raw VS Code UI calls out of the extension: code that hands text to a
// toast, picker, progress, status bar or tree row without src/util/ui.ts does not pass `npm run lint`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = join(__dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: join(ROOT, 'test', 'eslint.config.mjs') });

async function problems(code: string, file = 'src/triage/example.ts'): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-properties' || m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('lint: VS Code UI only through the UiText wrapper', () => {
  const raw = [
    "vscode.window.showInformationMessage(`Saved ${name}.`);",
    'vscode.window.showWarningMessage(subject, { modal: true });',
    'vscode.window.showErrorMessage(error.message);',
    "vscode.window.withProgress({ location: 1, title: name }, async () => undefined);",
    'vscode.window.showQuickPick([subject]);',
    'vscode.window.createQuickPick();',
    "vscode.window.showInputBox({ prompt: name });",
    "vscode.window.setStatusBarMessage(name, 1000);",
    "vscode.window.createStatusBarItem('x', 1, 1);",
    'new vscode.TreeItem(subject);',
    'new vscode.MarkdownString(subject);',
    'item.tooltip = subject;',
    'item.description = sender;',
    "t(`Saved ${name}.`);",
    'uiLiteral(subject);',
  ];
  for (const line of raw) {
    it(`refuses ${line}`, async () => {
      const found = await problems(`import * as vscode from 'vscode';\ndeclare const name: string, subject: string, sender: string, error: Error, item: vscode.TreeItem;\ndeclare function t(s: string): string;\ndeclare function uiLiteral(s: string): string;\n${line}\n`);
      assert.ok(found.length > 0, `no lint error for: ${line}`);
    });
  }

  it('accepts the wrapper with literals of ours and sender text as an argument', async () => {
    const found = await problems("import { showInfo, t, uiPlain } from '../util/ui';\ndeclare const name: string;\nvoid showInfo(t('Saved {0}.', uiPlain(name)));\n");
    assert.deepEqual(found, []);
  });

  it('the wrapper module itself may call VS Code', async () => {
    const found = await problems("import * as vscode from 'vscode';\nvoid vscode.window.showInformationMessage('x');\n", 'src/util/ui.ts');
    assert.deepEqual(found, []);
  });
});
