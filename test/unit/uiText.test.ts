import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeForSurface, type UiSurface, type UiText, uiFormat, uiJoin, uiPlain, uiVerbatim } from '../../src/core/uiText';

// What VS Code interprets, written down from its sources (see src/core/uiText.ts):
// linked text (notifications, progress, input prompts): [label](https://..., command:..., file:...)
// eslint-disable-next-line regexp/no-super-linear-move -- test oracle over our own fixture strings, never sender input at run time
const LINK = /\[[^\]]+\]\((?:https?:\/\/|command:|file:)[^)\s]+(?: (["']).+?\1)?\)/gi;
// codicons (status bar, quick picks, input prompts, stripped from progress): $(name) or $(name~modifier)
const ICON = /(?<!\\)\$\([A-Z0-9-]+(?:~[A-Z]+)?\)/gi;

const LINK_SURFACES: UiSurface[] = ['notification', 'progress', 'inputPrompt'];
const ICON_SURFACES: UiSurface[] = ['progress', 'inputPrompt', 'statusBar', 'quickPick', 'inputTitle'];
const ALL: UiSurface[] = ['notification', 'progress', 'modal', 'statusBar', 'statusBarTooltip', 'quickPick', 'inputPrompt', 'inputTitle', 'tree'];

/** What a reader sees: VS Code renders U+2060 with no width. */
const visible = (s: string) => s.replace(/\u2060/g, '');

const HOSTILE = [
  "[report.pdf](command:workbench.action.openGlobalKeybindings 'report.pdf')",
  '[click](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22id%5Cn%22%7D)',
  '[a](https://evil.test/) and [b](file:///etc/passwd)',
  '[[nested](command:x)](command:y)',
  'CASE [X](COMMAND:Y) and [x](Https://evil.test)',
  '$(zap) urgent $(sync~spin) \\$(escaped)',
  '](command:x) ] (command:x) [ ](https://x)',
  '=?UTF-8?Q?=5Bx=5D=28command=3Aworkbench=2Eaction=2EopenSettings=29?=',
];

describe('UiText encoder, per VS Code surface', () => {
  for (const surface of LINK_SURFACES) {
    it(`${surface}: no link survives, the text reads the same`, () => {
      for (const raw of HOSTILE) {
        const text = uiPlain(raw, 1000);
        const out = encodeForSurface(surface, text);
        assert.deepEqual(out.match(LINK), null, `${surface}: ${out}`);
        assert.equal(visible(out), text, 'nothing removed or changed but the joiner');
      }
    });
  }

  for (const surface of ICON_SURFACES) {
    it(`${surface}: no codicon survives, the text reads the same`, () => {
      for (const raw of HOSTILE) {
        const out = encodeForSurface(surface, uiPlain(raw, 1000));
        assert.deepEqual(out.match(ICON), null, `${surface}: ${out}`);
        assert.equal(visible(out), uiPlain(raw, 1000));
      }
    });
  }

  it('plain-text surfaces get the cleaned text unchanged', () => {
    for (const surface of ['modal', 'statusBarTooltip', 'tree'] as const) {
      assert.equal(encodeForSurface(surface, uiPlain('[x](command:y) $(zap)')), '[x](command:y) $(zap)');
    }
  });

  it('an encoded-word subject is decoded first, then made inert', () => {
    const out = encodeForSurface('notification', uiPlain(HOSTILE[7]));
    assert.equal(visible(out), '[x](command:workbench.action.openSettings)');
    assert.equal(out.match(LINK), null);
  });

  it('notifications join lines as VS Code does, so no link forms across a line break', () => {
    const text = uiFormat('{0}\n{1}', uiPlain('[x]'), uiPlain('(command:y)'));
    assert.equal(encodeForSurface('notification', text).match(LINK), null);
    assert.ok(!encodeForSurface('notification', text).includes('\n'));
  });

  it('pieces put together cannot rebuild a link or an icon: encoding is of the final string', () => {
    const pieces = ['[', 'x', ']', '(', 'command:y', ')', '$', '(', 'zap', ')'].map((p) => uiPlain(p));
    const joined = uiJoin(pieces, '');
    for (const surface of ALL.filter((s) => LINK_SURFACES.includes(s) || ICON_SURFACES.includes(s))) {
      const out = encodeForSurface(surface, joined);
      if (LINK_SURFACES.includes(surface)) {
        assert.equal(out.match(LINK), null, surface);
      }
      if (ICON_SURFACES.includes(surface)) {
        assert.equal(out.match(ICON), null, surface);
      }
    }
  });

  it('random strings over the syntax alphabet never yield a link or an icon (fuzz, fixed seed)', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = ['[', ']', '(', ')', '$', '\\', ' ', 'command:', 'https://', 'file:', 'a', 'zap', '~spin', '"', "'", '\n', '\u2060', '\u200B'];
    for (let n = 0; n < 3000; n++) {
      const raw = Array.from({ length: 1 + Math.floor(random() * 24) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      for (const surface of ALL) {
        const out = encodeForSurface(surface, uiPlain(raw, 500));
        if (LINK_SURFACES.includes(surface)) {
          assert.equal(out.match(LINK), null, JSON.stringify({ surface, raw, out }));
        }
        if (ICON_SURFACES.includes(surface)) {
          assert.equal(out.match(ICON), null, JSON.stringify({ surface, raw, out }));
        }
      }
    }
  });

  it('sender text is single-line and free of bidi and control characters before any surface', () => {
    const text = uiPlain('invoice\u202Efdp.exe\r\n\u0007next\u2060line');
    assert.equal(text, 'invoicefdp.exe nextline');
  });

  it('uiFormat fills only numbered holes with UiText, leaves the rest as written', () => {
    assert.equal(uiFormat('Saved {0}.', uiPlain('[a](command:b)')), 'Saved [a](command:b).');
    assert.equal(uiFormat('{0} and {1} and {2}', uiPlain('x'), 3), 'x and 3 and {2}');
    assert.equal(uiFormat('{ not a hole } {0}', uiPlain('y')), '{ not a hole } y');
  });

  it('uiVerbatim shows invisible characters instead of dropping them (a link target reads as it opens)', () => {
    assert.equal(uiVerbatim('https://ex\u200Bample.test/=?utf-8?Q?x?='), 'https://ex\uFFFDample.test/=?utf-8?Q?x?=');
  });

  it('a UiText cannot be made from a plain string without the encoder module (types)', () => {
    // @ts-expect-error a raw string is not UiText
    const raw: UiText = 'Saved [x](command:y).';
    assert.ok(raw);
  });
});
