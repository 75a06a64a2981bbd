import type { Sidecar } from '../dapr/sidecar.js';

/**
 * Readiness checks for `/readyz`: the sidecar answers its health endpoint and
 * has loaded every component this service needs.
 */
export function sidecarReadiness(sidecar: Sidecar, components: string[]): Record<string, () => Promise<boolean>> {
  return {
    sidecar: () => sidecar.healthy(),
    components: async () => {
      const loaded = new Set((await sidecar.components()).map((c) => c.name));
      return components.every((name) => loaded.has(name));
    },
  };
}
