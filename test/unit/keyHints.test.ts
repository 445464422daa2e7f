// Every action with a key shows it: VS Code puts a command's keybinding in the tooltip of its
// inline and title-bar icons and next to its menu entries, but only for that very command. An
// icon that runs a sibling of the keyed command (Flag / Unflag for Toggle Flag) needs its own
// binding, or its tooltip has no key hint.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

interface Keybinding { command: string; key: string; when?: string }
interface MenuItem { command: string; group?: string; when?: string }
const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { keybindings: Keybinding[]; menus: Record<string, MenuItem[]> };
};
const keyed = new Set(pkg.contributes.keybindings.map((k) => k.command));
/** Commands that act like another, keyed one (same action, another state or icon). */
const SIBLINGS: Record<string, string> = { 'imapExplorer.flag': 'imapExplorer.toggleFlag', 'imapExplorer.unflag': 'imapExplorer.toggleFlag' };

describe('key hints on every icon of a keyed action', () => {
  const icons = Object.entries(pkg.contributes.menus).flatMap(([menu, items]) =>
    items.filter((i) => (i.group ?? '').startsWith('inline') || (i.group ?? '').startsWith('navigation')).map((i) => ({ menu, ...i })),
  );

  it('there are inline and title icons to check', () => {
    assert.ok(icons.some((i) => i.command === 'imapExplorer.flag'));
  });

  for (const icon of icons) {
    const family = SIBLINGS[icon.command];
    if (!family) {
      continue;
    }
    it(`${icon.menu}: ${icon.command} carries the key of ${family}`, () => {
      assert.ok(keyed.has(family), `${family} has a key`);
      assert.ok(keyed.has(icon.command), `${icon.command} has its own keybinding, so its tooltip shows the key`);
      const own = pkg.contributes.keybindings.filter((k) => k.command === icon.command).map((k) => k.key).sort();
      const theirs = pkg.contributes.keybindings.filter((k) => k.command === family && (k.when ?? '').includes('mailboxes')).map((k) => k.key).sort();
      assert.deepEqual(own, theirs, 'the same key as the action it stands for');
    });
  }

  it('Toggle Flag comes before its siblings, whose when-clauses differ: VS Code drops a keybinding that a later one with an implied when-clause overrides', () => {
    const order = pkg.contributes.keybindings.filter((k) => k.key === 's' && (k.when ?? '').includes('mailboxes'));
    assert.equal(order[0].command, 'imapExplorer.toggleFlag');
    const whens = order.map((k) => k.when);
    assert.equal(new Set(whens).size, whens.length, 'no two with the same when-clause');
  });
});
