import type { Operation } from '../../tools/operation.js';

export const patientOperations: Operation[] = [];
