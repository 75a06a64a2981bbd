import type Router from '@koa/router';
import { PathParams, type TSchema } from '@chat/contract';
import { query, validateParam, type QueryInput, type RequestState } from '@chat/platform';

/**
 * The schema of every path parameter the gateway's routes use (the
 * contract's PathParams). A value is checked (and normalised) before any handler runs, so nothing a client
 * writes in a path reaches a service unless it is a well-formed id or
 * number: no encoded separator (`%2F..`), dot segment or out-of-range
 * number is ever forwarded.
 */
const PARAM_RULES: Record<string, TSchema> = PathParams;

/**
 * Validates every path parameter of `router`'s routes with PARAM_RULES
 * (400 validation_failed on a bad one). A route with a parameter that has no
 * rule is a programming error: this throws when the app is built, so no
 * route can be added with an unchecked parameter.
 */
export function validateParams(router: Router<RequestState>): Router<RequestState> {
  for (const layer of router.stack) {
    for (const name of layer.paramNames.map((p) => String(p.name))) {
      if (!Object.hasOwn(PARAM_RULES, name)) throw new Error(`Route ${layer.path} has a path parameter "${name}" with no rule in PARAM_RULES`);
    }
  }
  for (const [name, rule] of Object.entries(PARAM_RULES)) {
    router.param(name, (value, ctx, next) => {
      ctx.params[name] = String(validateParam(value, rule, name));
      return next();
    });
  }
  return router;
}

/**
 * Validates the query parameters in `shape` (400 on a bad one) and returns
 * them as a query string to forward (`?a=1&b=2`, or '' when none): only
 * checked values ever reach a service; parameters not in `shape` are dropped.
 */
export function forwardedQuery<S extends Record<string, TSchema>>(input: QueryInput, shape: S): string {
  const checked = query(input, shape);
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(checked)) if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
