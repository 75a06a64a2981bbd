import { readFileSync } from 'node:fs';
import test from 'ava';
import { instancePorts, readRunTemplate, startInstances } from '@chat/devkit/runtime';

/**
 * The lowest port an OS may hand a connection for its local end: Linux's
 * default range starts at 32768, the IANA range (Windows, macOS) at 49152,
 * and this machine may set its own.
 */
function firstEphemeralPort(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Math.min(32_768, low ?? 32_768);
  } catch {
    return 32_768;
  }
}

test("npm start's fixed ports are below every range a connection's local port is taken from, for the most replicas it runs, and no two are the same", (t) => {
  // A sidecar binds its gRPC ports after it has opened its connections to the
  // broker and the store; on 50022 one of them had taken the port, and npm
  // start failed (bind: address already in use).
  const ports = startInstances(readRunTemplate(), 9).flatMap(instancePorts);
  const first = firstEphemeralPort();
  t.deepEqual(
    ports.filter((port) => port >= first),
    [],
    `ports at or above ${first}`,
  );
  t.is(new Set(ports).size, ports.length);
});
