import type { JobHandler } from './worker.js';

/** Every job kind and the function that runs it. */
export const jobHandlers: Readonly<Record<string, JobHandler>> = {};
