import type { Caller } from '../context.js';

/** What the HTTP middleware puts on each request. */
export type AppEnv = { Variables: { caller: Caller; requestId: string } };
