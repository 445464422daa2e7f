import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ListResponse } from 'imapflow';
import { folderTreeNames } from '../../src/core/mail/folderName';
import { buildFolderTree, flattenFolders } from '../../src/core/mail/folders';
import { MailStore } from '../../src/core/mail/store';

function entry(path: string, flags: string[] = [], specialUse?: string, status?: { unseen: number; messages: number }): ListResponse {
  const parts = path.split('.');
  return { path, pathAsListed: path, name: parts[parts.length - 1], delimiter: '.', parent: parts.slice(0, -1), parentPath: parts.slice(0, -1).join('.'), flags: new Set(flags), specialUse, listed: true, subscribed: true, ...(status ? { status: { path, ...status } } : {}) } as ListResponse;
}

describe('folder tree', () => {
  it('nests folders, invents missing parents as containers and orders special folders first', () => {
    const tree = buildFolderTree([
      entry('Zeta'),
      entry('Trash', [], '\\Trash'),
      entry('Lists.2024.Reports', [], undefined, { unseen: 2, messages: 5 }),
      entry('INBOX', [], '\\Inbox', { unseen: 3, messages: 10 }),
      entry('Projects.Café & Co'),
      entry('Projects'),
      entry('Sent', [], '\\Sent'),
      entry('Old', ['\\Noselect', '\\HasChildren']),
      entry('Old.Stuff'),
    ]);
    assert.deepEqual(tree.map((f) => f.path), ['INBOX', 'Sent', 'Trash', 'Lists', 'Old', 'Projects', 'Zeta']);
    const lists = tree.find((f) => f.path === 'Lists')!;
    assert.equal(lists.selectable, false);
    assert.equal(lists.children[0].path, 'Lists.2024');
    assert.equal(lists.children[0].selectable, false);
    assert.equal(lists.children[0].children[0].name, 'Reports');
    assert.equal(lists.children[0].children[0].unseen, 2);
    assert.equal(tree.find((f) => f.path === 'Old')!.selectable, false);
    assert.equal(tree[0].specialUse, 'inbox');
    assert.equal(tree[0].unseen, 3);
    assert.equal(flattenFolders(tree).length, 11);
  });

  it('shows the folders of a classic "INBOX." personal namespace beside INBOX, not under it', () => {
    const tree = buildFolderTree([
      entry('INBOX', ['\\HasChildren'], '\\Inbox'),
      entry('INBOX.Sent', [], '\\Sent'),
      entry('INBOX.Projects'),
      entry('INBOX.Projects.Q4'),
    ], 'INBOX.');
    assert.deepEqual(tree.map((f) => [f.path, f.name]), [['INBOX', 'INBOX'], ['INBOX.Sent', 'Sent'], ['INBOX.Projects', 'Projects']]);
    assert.deepEqual(tree[0].children, []);
    assert.deepEqual(tree[2].children.map((f) => f.path), ['INBOX.Projects.Q4']);
    // without the namespace they stay INBOX's children, as LIST says
    assert.deepEqual(buildFolderTree([entry('INBOX', [], '\\Inbox'), entry('INBOX.Sent', [], '\\Sent')]).map((f) => f.children.length), [1]);
  });

  // Pickers, notifications and dialogs said "INBOX / Projects / Q4" for the folder the tree shows
  // as Projects > Q4 on a classic Cyrus or Courier server.
  it('names folders as the tree shows them, without the personal namespace prefix, in pickers and messages', () => {
    const list = [entry('INBOX', ['\\HasChildren'], '\\Inbox'), entry('INBOX.Projects'), entry('INBOX.Projects.Q4'), entry('INBOX.a\u202eb')];
    const names = folderTreeNames(buildFolderTree(list, 'INBOX.'));
    assert.deepEqual(Object.fromEntries(names), { 'INBOX': 'INBOX', 'INBOX.Projects': 'Projects', 'INBOX.Projects.Q4': 'Projects / Q4', 'INBOX.a\u202eb': 'ab' });
    // without a namespace, LIST's hierarchy is the tree's
    assert.equal(folderTreeNames(buildFolderTree(list)).get('INBOX.Projects.Q4'), 'INBOX / Projects / Q4');
    const store = new MailStore('alice');
    assert.equal(store.folderName('INBOX.Projects.Q4'), undefined, 'not listed yet');
    store.apply({ type: 'folders', folders: buildFolderTree(list, 'INBOX.'), source: 'server', asked: store.ticket() });
    assert.equal(store.folderName('INBOX.Projects.Q4'), 'Projects / Q4');
  });
});
