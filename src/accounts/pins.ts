import type * as vscode from 'vscode';
import { type PinStore } from '../core/tls';

const KEY = 'imapExplorer.pinnedCertificates';

/**
 * PEMs of pinned certificates in globalState, by fingerprint. Certificates are public; the pin
 * itself (the fingerprint) is in the account's settings, where the user can see and remove it.
 */
export function globalStatePinStore(state: vscode.Memento): PinStore {
  const read = () => state.get<Record<string, string>>(KEY) ?? {};
  return {
    get: (sha256) => read()[sha256],
    set: async (sha256, pem) => {
      await state.update(KEY, { ...read(), [sha256]: pem });
    },
  };
}
