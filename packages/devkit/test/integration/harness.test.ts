import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { freePort, startPlatform, type PortUse } from '@chat/devkit/testing';

const gone = (pid: number | undefined): boolean => {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

test.serial('when the harness stops a platform, no app and no daprd it started is left running', async (t) => {
  const platform = await startPlatform({ services: ['auth-service', 'chat-service'], callerSidecars: ['api-gateway'] });
  const pids = [
    ...platform.instances.flatMap((i) => [i.app.child.pid, i.daprd.child.pid]),
    ...Object.values(platform.callerSidecars).map((c) => c.daprd.child.pid),
  ];
  t.is(pids.length, 5);
  t.true(
    pids.every((pid) => !gone(pid)),
    'all started',
  );
  await platform.stop();
  t.deepEqual(
    pids.filter((pid) => !gone(pid)),
    [],
    'leftover processes',
  );
});

test.serial('when a service fails to start, the harness stops what it had started and says which log to read', async (t) => {
  const error = await t.throwsAsync(
    startPlatform({ services: ['auth-service'], serviceEnv: { 'auth-service': { DAPR_API_TOKEN: 'short' } }, readyTimeoutMs: 15_000 }),
  );
  t.regex(error?.message ?? '', /auth-service exited; see .*auth-service\.app\.log/);
});

test.serial('when PLATFORM_BUILD names no build, the harness says which builds it takes', async (t) => {
  const before = process.env['PLATFORM_BUILD'];
  t.teardown(() => {
    if (before === undefined) delete process.env['PLATFORM_BUILD'];
    else process.env['PLATFORM_BUILD'] = before;
  });
  for (const value of ['dist', 'Compiled', ' compiled', 'sources,compiled']) {
    process.env['PLATFORM_BUILD'] = value;
    const error = await t.throwsAsync(startPlatform({ services: ['auth-service'] }));
    t.is(error?.message, `PLATFORM_BUILD must be sources or compiled, not ${JSON.stringify(value)}`);
  }
});

/** A port on loopback that this test holds (bound) until teardown; it drops every connection (the harness's health checks). */
async function takenPort(t: ExecutionContext): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

test.serial(
  "when another process takes a sidecar's port before daprd binds it, the harness starts that sidecar and its app again on fresh ports",
  async (t) => {
    const taken = await takenPort(t);
    const handedOut: number[] = [];
    // The first sidecar HTTP port handed out is one that is already taken, as
    // when another process binds a free port between the pick and daprd's bind.
    let racy = true;
    const pickPort = async (use: PortUse) => {
      const port = use === 'dapr-http' && racy ? taken : await freePort();
      if (use === 'dapr-http') racy = false;
      handedOut.push(port);
      return port;
    };
    const platform = await startPlatform({ services: ['profile-service'], pickPort });
    t.teardown(() => platform.stop());
    const profile = platform.instance('profile-service');
    t.true(handedOut.includes(taken), 'the taken port was handed to daprd');
    t.not(profile.daprHttpPort, taken);
    // The app talks to its new sidecar: ready means it reached it.
    const ready = await fetch(`${profile.url}/readyz`);
    t.is(ready.status, 200);
  },
);

test.serial("when a caller sidecar's port is taken before daprd binds it, the harness starts it again on fresh ports", async (t) => {
  const taken = await takenPort(t);
  let racy = true;
  const pickPort = async (use: PortUse) => {
    if (use === 'dapr-grpc' && racy) {
      racy = false;
      return taken;
    }
    return freePort();
  };
  const platform = await startPlatform({ services: [], callerSidecars: ['api-gateway'], pickPort });
  t.teardown(() => platform.stop());
  t.false(racy, 'the taken port was handed to daprd');
  const health = await fetch(`http://127.0.0.1:${platform.callerSidecars['api-gateway']!.daprHttpPort}/v1.0/healthz`);
  t.is(health.status, 204);
});

/**
 * A folder where name resolution's database goes: a sidecar's SQLite name
 * resolution cannot open it, and daprd goes on without registering, as when
 * the sidecars starting beside it hold the database locked.
 */
function unopenableNameResolution(t: ExecutionContext): { runDir: string; database: string } {
  const runDir = mkdtempSync(join(tmpdir(), 'harness-test-'));
  t.teardown(() => rmSync(runDir, { recursive: true, force: true }));
  const database = join(runDir, 'name-resolution.db');
  mkdirSync(database);
  return { runDir, database };
}

test.serial(
  "when a sidecar's name resolution cannot open its database as it starts, the harness starts that sidecar again and its app is found through Dapr",
  async (t) => {
    const { runDir, database } = unopenableNameResolution(t);
    // profile-service's first sidecar meets the folder; the second attempt's
    // port pick clears it, as a lock is released.
    let sidecarStarts = 0;
    const pickPort = async (use: PortUse) => {
      if (use === 'dapr-http' && ++sidecarStarts === 2) rmSync(database, { recursive: true });
      return freePort();
    };
    const platform = await startPlatform({ services: ['profile-service'], callerSidecars: ['api-gateway'], pickPort, runDir });
    t.teardown(() => platform.stop());
    t.is(sidecarStarts, 3, "profile-service's sidecar started twice, the caller's once");
    const caller = platform.callerSidecars['api-gateway']!;
    const reply = await fetch(`http://127.0.0.1:${caller.daprHttpPort}/v1.0/invoke/profile-service/method/healthz`, {
      headers: { 'dapr-api-token': platform.runEnv.tokens('api-gateway').daprApiToken },
    });
    t.is(reply.status, 200);
  },
);

test.serial('when name resolution stays unopenable, the harness gives up after three sidecar starts and says what daprd went on without', async (t) => {
  const { runDir } = unopenableNameResolution(t);
  let sidecarStarts = 0;
  const pickPort = async (use: PortUse) => {
    if (use === 'dapr-http') sidecarStarts++;
    return freePort();
  };
  const error = await t.throwsAsync(startPlatform({ services: ['profile-service'], pickPort, runDir }));
  t.regex(error?.message ?? '', /daprd of profile-service went on without nameResolution sqlite \(init\); see .*profile-service\.daprd\.log/);
  t.is(sidecarStarts, 3);
});

test.serial("when a sidecar starts with the profile's configuration, its SQLite name resolution schedules no cleanup", async (t) => {
  // daprd 1.18's cleanup deletes the live registrations; an hour after start
  // every sidecar would exit with "Host registration lost". Only daprd can say
  // whether it read the setting as off (the resolver logs the schedule at info).
  const platform = await startPlatform({ services: [], callerSidecars: ['api-gateway'], sidecarLogLevel: 'info' });
  const sidecar = platform.callerSidecars['api-gateway']!.daprd;
  // What it wrote is complete once it has ended.
  await platform.stop();
  const log = await sidecar.outputTail();
  t.regex(log, /Initialized name resolution to sqlite/);
  t.notRegex(log, /Schedule expired data clean up[^\n]*nr \(sqlite/);
});
