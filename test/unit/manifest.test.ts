// package.json names its titles and descriptions by key (%command.archive%) and package.nls.json
// holds the English text, so VS Code's language packs can translate them: every key used is
// defined, every defined key is used, and none is empty.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(__dirname, '..', '..');
const manifest = readFileSync(join(root, 'package.json'), 'utf8');
const nls = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;

describe('manifest strings', () => {
  const used = new Set([...manifest.matchAll(/"%([\w.-]+)%"/g)].map((m) => m[1]));

  it('names every command title and setting description by a key of package.nls.json', () => {
    const pkg = JSON.parse(manifest) as { contributes: { commands: Array<{ title: string }>; configuration: { properties: Record<string, { description?: string; markdownDescription?: string }> } } };
    assert.deepEqual(pkg.contributes.commands.filter((c) => !/^%[\w.-]+%$/.test(c.title)).map((c) => c.title), []);
    const plain = Object.entries(pkg.contributes.configuration.properties).filter(([, p]) => [p.description, p.markdownDescription].some((d) => d !== undefined && !/^%[\w.-]+%$/.test(d)));
    assert.deepEqual(plain.map(([name]) => name), []);
  });

  it('defines every key it uses, uses every key it defines, and none is empty', () => {
    assert.deepEqual([...used].filter((k) => !(k in nls)), [], 'used but not defined');
    assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), [], 'defined but not used');
    assert.deepEqual(Object.entries(nls).filter(([, v]) => !v.trim()).map(([k]) => k), [], 'empty');
  });
});
