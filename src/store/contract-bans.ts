// The SessionStore contract for bans (see contract-sessions.ts): they survive a restart,
// a second save of the same kind and value replaces the first, a delete is kept.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Ban, SessionStore } from '../broker/ports.js';
import { type MakeStore, withStore } from './contract-records.js';

const byKindAndValue = (a: Ban, b: Ban) =>
  `${a.kind}/${a.value}`.localeCompare(`${b.kind}/${b.value}`);

export function describeBans(makeStore: MakeStore<SessionStore>): void {
  it('bans survive a restart with every field; saving again replaces, delete removes', () =>
    withStore(makeStore, async (handle) => {
      const forever: Ban = { kind: 'clientId', value: 'bad/client', createdAt: 1_000 };
      const user: Ban = { kind: 'username', value: 'mallory', reason: 'abuse', createdAt: 2_000 };
      const ip: Ban = { kind: 'ip', value: '10.0.0.7', createdAt: 3_000, until: 9_999_999 };
      const sameValue: Ban = { kind: 'username', value: 'bad/client', createdAt: 4_000 };
      for (const ban of [forever, user, ip, sameValue]) handle.store.saveBan(ban);
      handle.store.saveBan({ ...user, reason: 'more abuse' });
      handle.store.deleteBan('ip', '10.0.0.7');
      await handle.store.flush();
      await handle.store.close();
      const reopened = await handle.reopen();
      const loaded = (await reopened.load()).bans.sort(byKindAndValue);
      assert.deepStrictEqual(loaded, [forever, sameValue, { ...user, reason: 'more abuse' }]);
      reopened.saveBan(ip);
      await reopened.flush();
      const bans = (await reopened.load()).bans;
      assert.deepStrictEqual(
        bans.find((ban) => ban.kind === 'ip'),
        ip,
      );
      assert.equal(bans.length, 4);
    }));
}
