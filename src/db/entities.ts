import { Appointment, Location, Practitioner, ScheduleException, ScheduleRule } from '../modules/appointments/entities.js';
import { Patient, PatientConsent, PatientIdentifier } from '../modules/patients/entities.js';
import { ApiKey, Tenant } from '../modules/tenancy/entities.js';
import { Ticket, TicketNote } from '../modules/tickets/entities.js';
import { DomainEvent } from '../events.js';
import { ToolRun } from '../tools/tool-run.js';
import { Job } from '../jobs/job.js';
import { AgentTurn, Conversation, TwilioAccount, TwilioNumber, VerificationLockout } from '../modules/conversations/entities.js';
import { Communication, CommunicationStatusReport } from '../modules/communications/entities.js';
import { KnowledgeSource, TextChunk } from '../modules/vector/entities.js';
import { MessageTemplate, MessageTemplateVersion } from '../modules/templates/entities.js';
import { Notification, SendPace } from '../modules/notifications/entities.js';
import { WebhookAttempt, WebhookEndpoint } from '../modules/webhooks/entities.js';
import { Media } from '../modules/media/entities.js';
import { IntakeRecord, IntakeSession, IntakeSummary } from '../modules/intake/entities.js';
import { IntakeRecordInSession } from '../modules/fhir/entities.js';
import { Journey, JourneyInstance, JourneyStep, JourneyVersion } from '../modules/journeys/entities.js';

/** Every entity the ORM knows; a module's new entity is added here. */
export const entities = [
  Tenant,
  ApiKey,
  ToolRun,
  DomainEvent,
  Job,
  Patient,
  PatientIdentifier,
  PatientConsent,
  Location,
  Practitioner,
  ScheduleRule,
  ScheduleException,
  Appointment,
  Ticket,
  TicketNote,
  Conversation,
  Communication,
  CommunicationStatusReport,
  AgentTurn,
  TwilioAccount,
  TwilioNumber,
  VerificationLockout,
  TextChunk,
  KnowledgeSource,
  MessageTemplate,
  WebhookEndpoint,
  WebhookAttempt,
  MessageTemplateVersion,
  Notification,
  SendPace,
  Media,
  IntakeSession,
  IntakeRecord,
  IntakeSummary,
  IntakeRecordInSession,
  Journey,
  JourneyVersion,
  JourneyInstance,
  JourneyStep,
];
