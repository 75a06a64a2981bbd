import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { makeRunFolder, pruneRunFolders } from '../../src/testing/run-folders.js';

/** A pid that has exited: a process that ran and was waited for. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid ?? 0;

function parentFolder(t: { teardown: (fn: () => void) => void }): string {
  const parent = mkdtempSync(join(tmpdir(), 'run-folders-test-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  return parent;
}

/** A run folder named as mkdtemp names them, owned by `owner` (none: a folder from before owner files), `ageS` old. */
function folder(parent: string, name: string, owner: number | undefined, ageS: number): string {
  const dir = join(parent, `chat-platform-${name}`);
  mkdirSync(dir);
  if (owner !== undefined) writeFileSync(join(dir, 'owner.pid'), String(owner));
  const at = new Date(Date.now() - ageS * 1000);
  utimesSync(dir, at, at);
  return dir;
}

test('the newest folders are kept and older ones of finished runs are removed', (t) => {
  const parent = parentFolder(t);
  const dead = deadPid();
  const [newest, second, third, fourth] = ['aaaaa1', 'aaaaa2', 'aaaaa3', 'aaaaa4'].map((name, i) => folder(parent, name, dead, 10 * (i + 1)));
  t.deepEqual(pruneRunFolders(2, parent).sort(), [third, fourth].sort());
  t.true(existsSync(newest!) && existsSync(second!));
  t.false(existsSync(third!) || existsSync(fourth!));
});

test('a folder whose owner is still running is never removed, however old', (t) => {
  const parent = parentFolder(t);
  folder(parent, 'bbbbb1', deadPid(), 1);
  const running = folder(parent, 'bbbbb2', process.pid, 86_400);
  t.is(pruneRunFolders(0, parent).length, 1);
  t.true(existsSync(running));
});

test('a folder without an owner is removed only once it is an hour old', (t) => {
  const parent = parentFolder(t);
  const recent = folder(parent, 'ccccc1', undefined, 60);
  const old = folder(parent, 'ccccc2', undefined, 2 * 3600);
  t.deepEqual(pruneRunFolders(0, parent), [old]);
  t.true(existsSync(recent));
});

test('nothing but run folders is touched: the slots folder, other names and files stay', (t) => {
  const parent = parentFolder(t);
  const dead = String(deadPid());
  for (const name of ['chat-platform-slots', 'chat-platform-abc', 'chat-platform-abcdefg', 'other-abcdef', 'chat-platform-ab.def']) {
    mkdirSync(join(parent, name));
    writeFileSync(join(parent, name, 'owner.pid'), dead);
  }
  writeFileSync(join(parent, 'chat-platform-dddddd'), dead);
  t.deepEqual(pruneRunFolders(0, parent), []);
  t.is(readdirSync(parent).length, 6);
});

test('a new run folder names its owner and makes room first', (t) => {
  const parent = parentFolder(t);
  const dead = deadPid();
  for (const name of ['eeeee1', 'eeeee2', 'eeeee3']) folder(parent, name, dead, 60);
  const dir = makeRunFolder(1, parent);
  t.true(existsSync(join(dir, 'owner.pid')));
  // The one kept from before, and the new one.
  t.is(readdirSync(parent).length, 2);
});
