import type { Operation } from '../../tools/operation.js';

export const appointmentOperations: Operation[] = [];
