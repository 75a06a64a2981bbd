/**
 * `npm start` as a user runs it: everything it starts listens on loopback
 * only (apps, every daprd listener, anything else in its process tree), and
 * Ctrl-C leaves nothing running.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import test from 'ava';
import { instancePorts, portBindable, readRunTemplate, startInstances } from '@chat/devkit/runtime';
import { REPO_ROOT, isLoopback, listeners, processAlive as alive, describeProcess, processTree, waitFor } from '@chat/devkit/testing';

test('when npm start runs, every socket its processes listen on is on loopback, and Ctrl-C stops them all', async (t) => {
  // npm start may build what is missing first (the web client, the sidecar): more than ava's default.
  t.timeout(300_000);
  const env = { ...process.env, PROFILE: 'redis', GATEWAY_REPLICAS: '2' };
  // npm start listens on fixed ports (dapr.yaml), which npm start refuses when taken. The platforms that other test
  // files run meanwhile take ports the OS hands out, for servers and for their connections' local ends, and those
  // can be these: wait until they are given back.
  const ports = startInstances(readRunTemplate(), 2).flatMap(instancePorts);
  let taken: number[] = [];
  await waitFor(
    async () => {
      taken = (await Promise.all(ports.map(async (port) => ((await portBindable(port)) ? [] : [port])))).flat();
      return taken.length === 0;
    },
    { what: "npm start's ports to be free", timeoutMs: 60_000, intervalMs: 250 },
  ).catch(() => {
    throw new Error(`npm start's ports stayed taken for a minute: ${taken.join(', ')}`);
  });

  const npm = spawn('npm', ['start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output: string[] = [];
  for (const stream of [npm.stdout, npm.stderr]) createInterface({ input: stream }).on('line', (line) => output.push(line));
  let exited = false;
  const exit = new Promise<void>((resolve) => npm.on('exit', () => ((exited = true), resolve())));
  let tree: number[] = [];
  t.teardown(async () => {
    if (!exited) process.kill(-npm.pid!, 'SIGKILL');
    for (const pid of tree) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  await waitFor(
    () => {
      if (exited) throw new Error(`npm start exited early:\n${output.slice(-20).join('\n')}`);
      return output.some((line) => /healthy in/.test(line));
    },
    { what: 'npm start to report the platform healthy', timeoutMs: 240_000, intervalMs: 200 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; its last lines:\n${output.slice(-30).join('\n')}`);
  });
  // Healthy means each sidecar's HTTP API answers; its other listeners (gRPC, internal gRPC, metrics) may open a
  // moment later on a busy machine, so the count is awaited, not read once.
  let open: ReturnType<typeof listeners> = [];
  const byCommand = (name: string) => open.filter((l) => l.command.startsWith(name));
  await waitFor(
    () => {
      tree = processTree(npm.pid!);
      open = listeners(tree);
      return byCommand('daprd').length >= 5 * 4 && byCommand('node').length >= 5;
    },
    { what: 'every daprd (4 sockets each) and every app to listen', timeoutMs: 30_000, intervalMs: 200 },
  ).catch(() => undefined);
  t.true(byCommand('daprd').length >= 5 * 4, `every daprd listens (${byCommand('daprd').length} sockets)`);
  t.true(byCommand('node').length >= 5, `every app listens (${byCommand('node').length} sockets)`);
  // Each sidecar's internal gRPC port is its own (the README's Ports): the two gateway replicas share an app id, and
  // left to choose, both daprd took the same port from it, so one registration replaced the other.
  const daprdPorts = new Set(byCommand('daprd').map((l) => l.port));
  for (const port of [20002, 20012, 20022, 20032, 20102]) t.true(daprdPorts.has(port), `a sidecar listens on ${port}`);
  const wide = open.filter((l) => !isLoopback(l.address));
  t.deepEqual(wide, [], `listening beyond loopback:\n${wide.map((l) => `${l.command}[${l.pid}] ${l.protocol} ${l.address}:${l.port}`).join('\n')}`);

  process.kill(-npm.pid!, 'SIGINT');
  await exit;
  await waitFor(() => tree.every((pid) => !alive(pid)), { what: 'every process of npm start to end', timeoutMs: 30_000, intervalMs: 100 }).catch(
    () => undefined,
  );
  t.deepEqual(tree.filter(alive).map(describeProcess), [], 'nothing of npm start is left running');
});
