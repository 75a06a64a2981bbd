import type { RouteDeps } from '../../src/http/routes/deps.js';

const unreached = () => Promise.reject(new Error('no service behind the gateway is reached in this test'));

/** The services behind the gateway, for tests that never reach one: a call fails. */
export const UNREACHED_SERVICES: Pick<RouteDeps, 'upstream' | 'accounts' | 'profiles'> = {
  upstream: { call: unreached },
  accounts: { account: unreached, exists: unreached },
  profiles: { find: unreached },
};
