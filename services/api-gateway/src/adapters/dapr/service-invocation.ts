/**
 * The REST forwarding's Upstream over Dapr service invocation
 * (https://docs.dapr.io/reference/api/service_invocation_api/): the
 * service's answer comes back as it is, whatever its status.
 */
import type { Sidecar } from '@chat/platform';
import type { Upstream } from '../../http/forward.js';

export function createDaprUpstream(sidecar: Sidecar): Upstream {
  return { call: (service, path, request) => sidecar.invoke(service, path, request) };
}
