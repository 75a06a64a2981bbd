/**
 * What a tree of processes listens on, read from /proc (Linux): for tests
 * that check that everything a launcher starts listens on loopback only.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Is there a process with this pid (that this user may signal)? */
export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `<pid> <command line> [state, process group, what its threads wait in, its
 * signal masks]`, or `<pid> (gone)`: which process outlived a stop, and why
 * (a signal it never got, ignores or has pending; a thread stuck in a
 * write), is most of the diagnosis.
 */
export function describeProcess(pid: number): string {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    // Fields after the command name (which may hold spaces and parentheses): state, ppid, pgrp, session.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const waits = new Set<string>();
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const wchan = readFileSync(`/proc/${pid}/task/${task}/wchan`, 'utf8').trim();
      if (wchan && wchan !== '0') waits.add(wchan);
    }
    const masks = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .filter((line) => /^(SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt):/.test(line))
      .map((line) => line.replace(/\s+/, ' '))
      .join(', ');
    return `${pid} ${command} [state ${state}, parent ${ppid}, process group ${pgrp}, waiting in ${[...waits].join('/') || '-'}; ${masks}]`;
  } catch {
    return `${pid} (gone)`;
  }
}

/** `pid` and every process descended from it (by parent pid), at this moment. */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) may hold spaces and parentheses: read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

export interface Listener {
  pid: number;
  command: string;
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  address: string;
  port: number;
}

/** The listening TCP sockets and bound UDP sockets held by `pids`. */
export function listeners(pids: number[]): Listener[] {
  const owner = new Map<string, number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode) owner.set(inode, pid);
      } catch {
        // Closed meanwhile.
      }
    }
  }
  const found: Listener[] = [];
  for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    const lines = readFileSync(`/proc/net/${protocol}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const [, local = '', , state = '', , , , , , inode = ''] = line.trim().split(/\s+/);
      // TCP: only LISTEN (0A); UDP: every bound socket (07, unconnected).
      if (protocol.startsWith('tcp') ? state !== '0A' : state !== '07') continue;
      const pid = owner.get(inode);
      if (pid === undefined) continue;
      const [hex = '', portHex = '0'] = local.split(':');
      let command = '';
      try {
        command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        // Ended meanwhile.
      }
      found.push({ pid, command, protocol, address: decodeAddress(hex), port: Number.parseInt(portHex, 16) });
    }
  }
  return found;
}

/** /proc/net addresses are little-endian 32-bit words in hex. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  const full = groups.join(':');
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  if (full.startsWith('0:0:0:0:0:ffff:')) return `::ffff:${bytes.slice(12).join('.')}`;
  if (full === '0:0:0:0:0:0:0:0') return '::';
  return full;
}

/** Whether an address is loopback only (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export const isLoopback = (address: string): boolean => /^(127\.|::1$|::ffff:127\.)/.test(address);
