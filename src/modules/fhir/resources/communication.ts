import type { CodeableConcept, Communication as FhirCommunication, CommunicationPayload, Patient as FhirPatient, Reference } from '@medplum/fhirtypes';
import type { AppContext } from '../../../context.js';
import { toIso } from '../../../schema.js';
import { Communication, type CommunicationStatus } from '../../communications/entities.js';
import { Conversation, type ConversationChannel } from '../../conversations/entities.js';
import { referenceTo } from '../references.js';
import { defineFhirType, NOTHING, type Condition } from '../resource-type.js';
import { codeParameter, conditionsByCode, instantBounds, referenceParameter } from '../search-parameters.js';

type FhirStatus = FhirCommunication['status'];

/** Delivery statuses as FHIR event statuses; why one stopped is in `statusReason`. */
export const communicationStatusCodes: Record<CommunicationStatus, FhirStatus> = {
  received: 'completed',
  queued: 'preparation',
  sending: 'in-progress',
  unknown: 'unknown',
  sent: 'completed',
  delivered: 'completed',
  read: 'completed',
  failed: 'stopped',
  undelivered: 'stopped',
  not_sent: 'not-done',
};

const allFhirStatuses: readonly FhirStatus[] = ['preparation', 'in-progress', 'not-done', 'on-hold', 'stopped', 'completed', 'entered-in-error', 'unknown'];


const PARTICIPATION_MODE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode';
const mode = (code: string, display: string, text: string): CodeableConcept => ({ coding: [{ system: PARTICIPATION_MODE, code, display }], text });

const media: Record<ConversationChannel, CodeableConcept> = {
  whatsapp: mode('ONLINEWRIT', 'online written', 'WhatsApp'),
  sms: mode('WRITTEN', 'written', 'SMS'),
  chat: mode('ONLINEWRIT', 'online written', 'Chat'),
  email: mode('EMAILWRIT', 'email', 'Email'),
  voice: mode('PHONE', 'telephone', 'Voice call'),
};

const authors: Record<Communication['authorKind'], string> = { patient: 'Patient', bot: 'Clinic assistant', staff: 'Clinic staff', system: 'Clinic' };

type Thread = Pick<Conversation, 'channel' | 'contact' | 'patientId' | 'historyFrom'>;

/**
 * The patient a message is about: its conversation's, unless it was written before that patient took
 * the number over from someone else (`historyFrom`: a shared family phone), as the agent reads it.
 */
export const aboutPatient = (communication: Pick<Communication, 'createdAt'>, thread: Thread): string | undefined =>
  thread.patientId && (!thread.historyFrom || communication.createdAt > thread.historyFrom) ? thread.patientId : undefined;

function payload(communication: Communication): CommunicationPayload[] {
  return [
    ...(communication.body ? [{ contentString: communication.body }] : []),
    ...communication.media.map((file) => ({ contentAttachment: { url: file.url, ...(file.contentType ? { contentType: file.contentType } : {}) } })),
  ];
}

/**
 * A message in or out of the clinic as FHIR: the channel as `medium`, the patient as `subject` (and
 * as sender or recipient; the number or address when no patient is linked), the text and files as
 * `payload`. Inbound: sent and received when it arrived. Outbound: when the provider took it and
 * when it reported it delivered.
 */
export function communicationResource({ communication, thread }: { communication: Communication; thread: Thread }): FhirCommunication {
  const patientId = aboutPatient(communication, thread);
  const party: Reference<FhirPatient> = patientId ? referenceTo('Patient', patientId) : { display: thread.contact };
  const inbound = communication.direction === 'inbound';
  const sent = inbound ? communication.createdAt : communication.sentAt;
  const received = inbound ? communication.createdAt : communication.deliveredAt;
  const contents = payload(communication);
  return {
    resourceType: 'Communication',
    id: communication.id,
    meta: { lastUpdated: toIso(communication.updatedAt) },
    status: communicationStatusCodes[communication.status],
    ...(communication.error ? { statusReason: { text: communication.error } } : {}),
    medium: [media[thread.channel]],
    ...(patientId ? { subject: referenceTo('Patient', patientId) } : {}),
    ...(communication.subject ? { topic: { text: communication.subject } } : {}),
    ...(sent ? { sent: toIso(sent) } : {}),
    ...(received ? { received: toIso(received) } : {}),
    ...(inbound ? { sender: party } : { sender: { display: authors[communication.authorKind] }, recipient: [party] }),
    ...(contents.length > 0 ? { payload: contents } : {}),
  };
}

/** The messages about a patient: those of the patient's conversations written since the patient had each one. */
async function aboutPatientCondition(ctx: AppContext, patientId: string): Promise<Condition> {
  const threads = await ctx.em.find(Conversation, { patientId });
  if (threads.length === 0) return NOTHING;
  return { $or: threads.map((thread) => ({ conversationId: thread.id, ...(thread.historyFrom ? { createdAt: { $gt: thread.historyFrom } } : {}) })) };
}

async function communicationRecords(ctx: AppContext, rows: Communication[]): Promise<FhirCommunication[]> {
  const threads = await ctx.em.find(Conversation, { id: { $in: [...new Set(rows.map((row) => row.conversationId))] } });
  const byId = new Map(threads.map((thread) => [thread.id, thread]));
  return rows.map((communication) => {
    const thread = byId.get(communication.conversationId);
    if (!thread) throw new Error(`Conversation ${communication.conversationId} of communication ${communication.id} is missing`);
    return communicationResource({ communication, thread });
  });
}

const patientReference = referenceParameter({ documentation: 'The patient the message is about.', targets: { Patient: aboutPatientCondition } });

/** Every message of the communications module, on any channel, from anyone. */
export const communicationType = defineFhirType<Communication>({
  type: 'Communication',
  entity: Communication,
  patientParameter: 'patient',
  parameters: {
    patient: patientReference,
    subject: patientReference,
    sent: {
      type: 'date',
      documentation: 'When it was sent: an inbound message when it arrived, an outbound one when the provider took it.',
      condition: (ctx, value) => {
        const bounds = instantBounds(ctx, value);
        return { $or: [{ direction: 'inbound', createdAt: bounds }, { direction: 'outbound', sentAt: bounds }] };
      },
    },
    status: codeParameter({ documentation: 'The FHIR event status.', system: 'http://hl7.org/fhir/event-status', codes: conditionsByCode(communicationStatusCodes, allFhirStatuses, 'status') }),
  },
  toResources: communicationRecords,
});
