// Sorting a folder against Dovecot: by the server (SORT with ESORT paging, SORT alone) and by the
// client over the loaded messages when SORT is hidden, all giving the same order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchSummaries } from '../../src/core/search/folderSearch';
import { baseSubject, type SortKey, sortAll, sortMethod, sortPage, sortWindow } from '../../src/core/mail/sort';
import { compose } from '../fixtures/mail';
import { appendMessages } from '../support/append';
import { type DovecotServer, startDovecot } from '../support/dovecot';
import { testSession } from '../support/session';

const FOLDER = 'Sorted';
const CAPS_NO_SORT = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SPECIAL-USE';
const CAPS_SORT_ONLY = `${CAPS_NO_SORT} SORT`;

const MESSAGES = [
  { from: 'Zoë Zeller <zoe@z.test>', subject: 'Re: [dev] build broken', size: 3000, day: 3 },
  { from: 'Anna Adams <anna@a.test>', subject: 'Quarterly report', size: 50_000, day: 1 },
  { from: 'marco@m.test', subject: 'Fwd: Invoice 117', size: 1000, day: 5 },
  { from: 'Bert Brown <bert@b.test>', subject: 'agenda', size: 20_000, day: 2 },
  { from: 'Carla Cruz <carla@c.test>', subject: 'RE: Zebra crossing', size: 8000, day: 4 },
];

const EXPECTED: Record<SortKey, string[]> = {
  date: ['Fwd: Invoice 117', 'RE: Zebra crossing', 'Re: [dev] build broken', 'agenda', 'Quarterly report'],
  sender: ['Quarterly report', 'agenda', 'RE: Zebra crossing', 'Fwd: Invoice 117', 'Re: [dev] build broken'],
  subject: ['agenda', 'Re: [dev] build broken', 'Fwd: Invoice 117', 'Quarterly report', 'RE: Zebra crossing'],
  size: ['Quarterly report', 'agenda', 'RE: Zebra crossing', 'Re: [dev] build broken', 'Fwd: Invoice 117'],
};

describe('sorting against Dovecot', () => {
  let server: DovecotServer;

  before(async () => {
    server = await startDovecot();
    await appendMessages(server, await Promise.all(MESSAGES.map(async (m) => ({
      folder: FOLDER,
      date: new Date(Date.UTC(2026, 0, m.day)),
      raw: await compose({ from: m.from, to: 'alice@example.test', subject: m.subject, text: 'x'.repeat(m.size) }),
    }))));
  });
  after(async () => {
    await server?.stop();
  });

  async function subjects(uids: number[], session = testSession(server)): Promise<string[]> {
    const byUid = new Map((await session.withMailbox(FOLDER, (c) => fetchSummaries(c, uids), { readOnly: true })).map((m) => [m.uid, m.subject]));
    return uids.map((u) => byUid.get(u)!);
  }

  it('pages the server order with ESORT PARTIAL, and lists it whole with SORT', async () => {
    const session = testSession(server);
    try {
      for (const key of ['date', 'sender', 'subject', 'size'] as const) {
        const { first, second, all, method } = await session.withMailbox(FOLDER, async (client) => ({
          method: sortMethod(client.capabilities),
          first: await sortPage(client, key, 1, 3),
          second: await sortPage(client, key, 4, 6),
          all: await sortAll(client, key),
        }), { readOnly: true });
        assert.equal(method, 'partial');
        assert.equal(first.count, 5);
        assert.deepEqual(await subjects([...first.uids, ...second.uids], session), EXPECTED[key], key);
        assert.deepEqual(await subjects(all, session), EXPECTED[key], key);
      }
    } finally {
      await session.close();
    }
  });

  it('uses the whole list with SORT alone, and sorts the loaded window without SORT', async () => {
    await server.restart({ imapCapability: CAPS_SORT_ONLY });
    let session = testSession(server);
    try {
      assert.equal(await session.withMailbox(FOLDER, async (c) => sortMethod(c.capabilities), { readOnly: true }), 'server');
      assert.deepEqual(await subjects(await session.withMailbox(FOLDER, (c) => sortAll(c, 'subject'), { readOnly: true }), session), EXPECTED.subject);
      await session.close();
      await server.restart({ imapCapability: CAPS_NO_SORT });
      session = testSession(server);
      const loaded = await session.withMailbox(FOLDER, async (c) => {
        assert.equal(sortMethod(c.capabilities), 'window');
        return fetchSummaries(c, [1, 2, 3, 4, 5]);
      }, { readOnly: true });
      for (const key of ['date', 'sender', 'subject', 'size'] as const) {
        assert.deepEqual(sortWindow(loaded, key).map((m) => m.subject), EXPECTED[key], key);
      }
    } finally {
      await session.close();
      await server.restart({});
    }
  });

  it('reads base subjects as RFC 5256 does', () => {
    assert.equal(baseSubject('Re: RE: Fwd:  [list] Hello   world (fwd)'), 'hello world');
    assert.equal(baseSubject('AW: WG: Besprechung'), 'besprechung');
    assert.equal(baseSubject('[only a tag]'), '[only a tag]');
  });
});
