import type { Sql } from '../db/sql.js';
import { clinicFromTenant, type ClinicProfile } from '../modules/conversations/clinic.js';
import type { Conversation } from '../modules/conversations/entities.js';
import type { Communication } from '../modules/communications/entities.js';

/** The inbound message a turn answers: what the engines and the history read of it. */
export type AnsweredMessage = Pick<Communication, 'id' | 'conversationId' | 'body' | 'media' | 'createdAt'>;

/** What a turn starts from: its conversation (as it was read, not locked), the message, the clinic. */
export type TurnInput = { conversation: Conversation; message: AnsweredMessage; clinic: ClinicProfile };

type Row = {
  id: string;
  body: string;
  media: Communication['media'];
  created_at: Date;
  name: string;
  time_zone: string;
  profile: Record<string, unknown>;
  c_id: string;
  c_channel: Conversation['channel'];
  c_contact: string;
  c_clinic_address: string | null;
  c_patient_id: string | null;
  c_verified_until: Date | null;
  c_history_from: Date | null;
  c_status: Conversation['status'];
  c_handled_by: Conversation['handledBy'];
  c_handoff_ticket_id: string | null;
  c_opted_out_at: Date | null;
  c_state: Record<string, unknown>;
  c_last_message_at: Date | null;
  c_closed_at: Date | null;
  c_created_at: Date;
  c_updated_at: Date;
};

/** The message, its conversation and the clinic's profile, in one query: a turn runs for every message. */
const TURN_INPUT = `select m.id, m.body, m.media, m.created_at, t.name, t.time_zone, t.profile,
    c.id as c_id, c.channel as c_channel, c.contact as c_contact, c.clinic_address as c_clinic_address, c.patient_id as c_patient_id,
    c.verified_until as c_verified_until, c.history_from as c_history_from, c.status as c_status, c.handled_by as c_handled_by, c.handoff_ticket_id as c_handoff_ticket_id,
    c.opted_out_at as c_opted_out_at, c.state as c_state, c.last_message_at as c_last_message_at, c.closed_at as c_closed_at,
    c.created_at as c_created_at, c.updated_at as c_updated_at
  from communication m join conversation c on c.id = m.conversation_id join tenant t on t.id = m.tenant_id
  where m.tenant_id = ? and m.id = ? and m.conversation_id = ?`;

const date = (value: Date | string | null) => (value === null ? null : new Date(value));

export async function loadTurnInput(sql: Sql, tenantId: string, ids: { conversationId: string; messageId: string }): Promise<TurnInput> {
  const [row] = await sql.query<Row>({ sql: TURN_INPUT, params: [tenantId, ids.messageId, ids.conversationId] });
  if (!row) throw new Error(`Communication ${ids.messageId} of conversation ${ids.conversationId} was not found`);
  const conversation: Conversation = {
    id: row.c_id,
    tenantId,
    channel: row.c_channel,
    contact: row.c_contact,
    clinicAddress: row.c_clinic_address,
    patientId: row.c_patient_id,
    verifiedUntil: date(row.c_verified_until),
    historyFrom: date(row.c_history_from),
    status: row.c_status,
    handledBy: row.c_handled_by,
    handoffTicketId: row.c_handoff_ticket_id,
    optedOutAt: date(row.c_opted_out_at),
    state: row.c_state,
    lastMessageAt: date(row.c_last_message_at),
    closedAt: date(row.c_closed_at),
    createdAt: new Date(row.c_created_at),
    updatedAt: new Date(row.c_updated_at),
  };
  return {
    conversation,
    message: { id: row.id, conversationId: row.c_id, body: row.body, media: row.media, createdAt: new Date(row.created_at) },
    clinic: clinicFromTenant({ name: row.name, timeZone: row.time_zone, profile: row.profile }),
  };
}
