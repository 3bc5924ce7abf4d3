import { agentOperations } from '../modules/agents/operations.js';
import { appointmentOperations } from '../modules/appointments/operations.js';
import { communicationOperations } from '../modules/communications/operations.js';
import { conversationOperations } from '../modules/conversations/operations.js';
import { intakeOperations } from '../modules/intake/operations.js';
import { journeyOperations } from '../modules/journeys/operations.js';
import { fhirOperations } from '../modules/fhir/operations.js';
import { mediaOperations } from '../modules/media/operations.js';
import { notificationOperations } from '../modules/notifications/operations.js';
import { patientOperations } from '../modules/patients/operations.js';
import { templateOperations } from '../modules/templates/operations.js';
import { ticketOperations } from '../modules/tickets/operations.js';
import { vectorOperations } from '../modules/vector/operations.js';
import { webhookOperations } from '../modules/webhooks/operations.js';
import type { Operation } from './operation.js';
import { createRegistry } from './runner.js';

/** Every operation of every module: the one list REST, MCP and the agent are built from. */
export const allOperations: readonly Operation[] = [
  ...patientOperations,
  ...appointmentOperations,
  ...ticketOperations,
  ...conversationOperations,
  ...communicationOperations,
  ...templateOperations,
  ...notificationOperations,
  ...agentOperations,
  ...vectorOperations,
  ...webhookOperations,
  ...mediaOperations,
  ...intakeOperations,
  ...fhirOperations,
  ...journeyOperations,
];

export const registry = createRegistry(allOperations);
