import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './listeners.js';

const PREFIX = 'chat-platform-';
/** What mkdtemp makes of PREFIX: six random characters after it (never `chat-platform-slots`). */
const RUN_FOLDER = /^chat-platform-[A-Za-z0-9]{6}$/;
const OWNER_FILE = 'owner.pid';
/** A folder from before owner files is left alone for this long: it may still be in use. */
const UNOWNED_GRACE_MS = 60 * 60_000;

/**
 * A test platform's run folder (its logs, name-resolution database and
 * secrets), made under the OS temp folder with the creating process as its
 * owner. The folders of finished runs are kept for reading their logs after
 * a failure, but only the newest `keep`: older ones whose owner has exited
 * are removed here, so that test runs do not fill the temp folder.
 */
export function makeRunFolder(keep = 20, parent = tmpdir()): string {
  pruneRunFolders(keep, parent);
  const dir = mkdtempSync(join(parent, PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  return dir;
}

/** Removes the run folders past the newest `keep` whose owner is gone; returns the ones removed. */
export function pruneRunFolders(keep: number, parent = tmpdir(), now = Date.now()): string[] {
  const folders = readdirSync(parent, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && RUN_FOLDER.test(entry.name))
    .map((entry) => {
      const dir = join(parent, entry.name);
      try {
        return { dir, modified: statSync(dir).mtimeMs };
      } catch {
        return undefined; // removed meanwhile by another run
      }
    })
    .filter((folder) => folder !== undefined)
    .sort((a, b) => b.modified - a.modified);
  const removed: string[] = [];
  for (const { dir, modified } of folders.slice(keep)) {
    if (inUse(dir, modified, now)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function inUse(dir: string, modified: number, now: number): boolean {
  let owner: number;
  try {
    owner = Number.parseInt(readFileSync(join(dir, OWNER_FILE), 'utf8'), 10);
  } catch {
    return now - modified < UNOWNED_GRACE_MS;
  }
  return owner > 0 && processAlive(owner);
}
