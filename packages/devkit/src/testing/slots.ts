import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive as alive } from './listeners.js';

const SLOTS_DIR = join(tmpdir(), 'chat-platform-slots');

/**
 * Claims an isolation slot (1..max) across every test process on this
 * machine: a lock file created exclusively, reclaimed when its owner died.
 * A running platform uses its slot as its Redis database number, so that two
 * platforms running at once never share streams, consumer groups or keys.
 */
export function claimSlot(max = 15): { slot: number; release: () => void } {
  mkdirSync(SLOTS_DIR, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    for (let slot = 1; slot <= max; slot++) {
      const file = join(SLOTS_DIR, `${slot}.lock`);
      try {
        closeSync(openSync(file, 'wx'));
        writeFileSync(file, String(process.pid));
        return { slot, release: () => rmSync(file, { force: true }) };
      } catch {
        const owner = Number.parseInt(readFileSync(file, 'utf8') || '0', 10);
        if (attempt === 0 && owner > 0 && !alive(owner)) rmSync(file, { force: true });
      }
    }
  }
  throw new Error(`All ${max} isolation slots are taken (${SLOTS_DIR}); too many platforms running at once`);
}
