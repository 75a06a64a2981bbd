/**
 * What a process tree runs and listens on, read from /proc (Linux): enough
 * for a test to know every process a command started, to check where each
 * one listens, and to end them all whatever happened.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The executable's name as the kernel keeps it (15 characters at most). */
  comm: string;
  /** Start time in clock ticks since boot: with the pid, names one process even after the pid is reused. */
  startTime: string;
}

export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ..." where comm may hold spaces and parentheses.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(fields[1]), startTime: fields[19] ?? '' };
}

/** `root` and everything started under it that is still its descendant. */
export function processTree(root: number): ProcessInfo[] {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => processInfo(Number(name)))
    .filter((p): p is ProcessInfo => p !== undefined);
  const tree: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const found = all.find((p) => p.pid === pid);
    if (found) tree.push(found);
    for (const child of all.filter((p) => p.ppid === pid)) queue.push(child.pid);
  }
  return tree;
}

/** Is this very process (same pid, same start) still there? Zombies count as gone. */
export function stillRunning(p: ProcessInfo): boolean {
  const now = processInfo(p.pid);
  if (!now || now.startTime !== p.startTime) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export interface Listener {
  pid: number;
  comm: string;
  address: string;
  port: number;
}

/** Every TCP socket in LISTEN state the given processes hold. */
export function listeners(processes: ProcessInfo[]): Listener[] {
  const byInode = new Map<string, { address: string; port: number }>();
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    let table = '';
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A: LISTEN
      const [hexAddress, hexPort] = cols[1]!.split(':') as [string, string];
      byInode.set(cols[9]!, { address: v6 ? ipv6(hexAddress) : ipv4(hexAddress), port: Number.parseInt(hexPort, 16) });
    }
  }
  const found: Listener[] = [];
  for (const p of processes) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p.pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${p.pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const socket = inode ? byInode.get(inode) : undefined;
      if (socket && !found.some((l) => l.pid === p.pid && l.port === socket.port && l.address === socket.address)) {
        found.push({ pid: p.pid, comm: p.comm, ...socket });
      }
    }
  }
  return found;
}

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);
}

// /proc/net/tcp keeps addresses as 32-bit words in host (little-endian) order.
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
}

function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) {
    const chunk = hex.slice(word * 8, word * 8 + 8);
    for (const i of [6, 4, 2, 0]) bytes.push(Number.parseInt(chunk.slice(i, i + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
