import test from 'ava';
import { startPlatform } from '@chat/platform/testing';

const gone = (pid: number | undefined): boolean => {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

test('when the harness stops a platform, no app and no daprd it started is left running', async (t) => {
  const platform = await startPlatform({ services: ['auth-service', 'chat-service'], callerSidecars: ['api-gateway'] });
  const pids = [
    ...platform.instances.flatMap((i) => [i.app.child.pid, i.daprd.child.pid]),
    ...Object.values(platform.callerSidecars).map((c) => c.daprd.child.pid),
  ];
  t.is(pids.length, 5);
  t.true(pids.every((pid) => !gone(pid)), 'all started');
  await platform.stop();
  t.deepEqual(pids.filter((pid) => !gone(pid)), [], 'leftover processes');
});

test('when a service fails to start, the harness stops what it had started and says which log to read', async (t) => {
  const error = await t.throwsAsync(
    startPlatform({ services: ['auth-service'], serviceEnv: { 'auth-service': { DAPR_API_TOKEN: 'short' } }, readyTimeoutMs: 15_000 }),
  );
  t.regex(error?.message ?? '', /auth-service exited; see .*auth-service\.app\.log/);
});
