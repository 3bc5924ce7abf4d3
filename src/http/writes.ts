import type { Context } from 'hono';
import { METHOD_NAME_ALL } from 'hono/router';
import { matchedRoutes } from 'hono/route';
import type { Operation } from '../tools/operation.js';

/** Tells whether a request writes, for the per-key write limit. */
export type WriteTest = (c: Context) => boolean;

/**
 * Writes under `base`: the routes of operations not marked read-only (a search sent as POST is a read),
 * and the extra routes given (`POST /agents/run`: the tool it names may write). Decided by the route
 * that answers: the first matched handler, as the router runs it (middleware match every method).
 */
export function restWrites(options: { base: string; operations: readonly Operation[]; alsoWrites: string[] }): WriteTest {
  const writes = new Set([
    ...options.operations
      .filter((operation) => !operation.annotations.readOnly)
      .map((operation) => `${operation.http.method.toUpperCase()} ${options.base}${operation.http.path.replace(/\{(\w+)\}/g, ':$1')}`),
    ...options.alsoWrites,
  ]);
  return (c) => {
    const handler = matchedRoutes(c).find((route) => route.method !== METHOD_NAME_ALL);
    return handler !== undefined && writes.has(`${handler.method} ${handler.path}`);
  };
}
