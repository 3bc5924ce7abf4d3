import { turnJob } from '../agent/turn.js';
import { DELIVER_JOB, deliverMessage } from '../channels/outbound.js';
import { TURN_JOB } from '../modules/conversations/inbound.js';
import { vectorJobHandlers } from '../modules/vector/jobs.js';
import type { JobHandler } from './worker.js';

/** Every job kind and the function that runs it. */
export const jobHandlers: Readonly<Record<string, JobHandler>> = {
  [TURN_JOB]: turnJob,
  [DELIVER_JOB]: deliverMessage,
  ...vectorJobHandlers,
};
