import type Router from '@koa/router';
import { createRouter, APP_IDS, type RequestState } from '@chat/platform';
import type { Upstream } from '../forward.js';

const SERVICES = [APP_IDS.auth, APP_IDS.profile, APP_IDS.chat] as const;

/**
 * `GET /api/health`: the gateway reaches each service's `/healthz`, all at
 * once, each within `timeoutMs`, so a service that is down turns the answer
 * into 503 `degraded` instead of a hang.
 */
export function healthRoutes(deps: { upstream: Upstream; timeoutMs: number }): Router<RequestState> {
  const router = createRouter();
  router.get('/api/health', async (ctx) => {
    const results = await Promise.all(
      SERVICES.map(async (appId) => {
        try {
          const response = await deps.upstream.call(appId, 'healthz', {
            method: 'GET',
            timeoutMs: deps.timeoutMs,
            headers: { 'x-request-id': ctx.state.requestId },
          });
          return [appId, response.status === 200 ? 'ok' : 'down'] as const;
        } catch {
          return [appId, 'down'] as const;
        }
      }),
    );
    const services: Record<string, string> = { [APP_IDS.gateway]: 'ok', ...Object.fromEntries(results) };
    const healthy = results.every(([, status]) => status === 'ok');
    ctx.status = healthy ? 200 : 503;
    ctx.body = { status: healthy ? 'ok' : 'degraded', services };
  });
  return router;
}
