import { DateTime } from 'luxon';
import type { MediaReference } from '../modules/communications/entities.js';
import { isVerified } from '../modules/conversations/views.js';
import type { Decision, TurnInput } from './decide.js';
import type { Replies } from './guided/replies/index.js';
import type { FilesSent } from './guided/replies/blocks.js';

/** The category of the tickets that tell staff a patient sent files. */
export const FILES_TICKET_CATEGORY = 'patient_files';

/** A photo, a document, a voice message, another file, or a mix, by the types Twilio declared. */
function whatWasSent(media: readonly MediaReference[]): FilesSent {
  const kinds = new Set(
    media.map((item): FilesSent['kind'] =>
      item.contentType?.startsWith('image/') ? 'photo' : item.contentType === 'application/pdf' ? 'document' : item.contentType?.startsWith('audio/') ? 'voice message' : 'file',
    ),
  );
  const [kind] = kinds;
  return { kind: kinds.size > 1 || kind === undefined ? 'mixed' : kind, count: media.length };
}

/**
 * A message with files (a photo, a scan, a voice note): the agent does not read them. It says (in the
 * patient's language) they arrived and that staff will look at them, and opens a ticket for staff: one per conversation per
 * clinic day while it is open (staff who closed it hear of later files again). The files themselves are
 * fetched and stored by the media module's job. The guided state is left as it was: a photo sent
 * while a date of birth is awaited is not taken for a wrong date.
 */
export async function filesReceived(input: TurnInput, say: Replies): Promise<Decision> {
  const { conversation, message } = input;
  const now = input.services.clock.now();
  const startOfDay = DateTime.fromJSDate(now, { zone: input.tenant.timeZone }).startOf('day').toISO();
  const steps: unknown[] = [];
  const existing = await input.call('list_tickets', { conversationId: conversation.id, category: FILES_TICKET_CATEGORY, status: ['open', 'in_progress', 'waiting'], createdSince: startOfDay, limit: 1 });
  steps.push({ toolCalls: [{ tool: 'list_tickets' }], toolResults: [existing.ok ? existing.output : { error: existing.error.message }] });
  const alreadyOpen = existing.ok && (existing.output as { items: unknown[] }).items.length > 0;
  if (!alreadyOpen) {
    const verified = isVerified(conversation, now);
    const created = await input.call('create_ticket', {
      subject: 'The patient sent files for staff to look at',
      description: `Files arrived in a ${conversation.channel} conversation. Find them with list_media (conversationId ${conversation.id}) and answer the patient.`,
      category: FILES_TICKET_CATEGORY,
      conversationId: conversation.id,
      ...(verified && conversation.patientId ? { patientId: conversation.patientId } : {}),
    });
    steps.push({ toolCalls: [{ tool: 'create_ticket' }], toolResults: [created.ok ? created.output : { error: created.error.message }] });
  }
  return {
    reply: say.filesReceived(whatWasSent(message.media)),
    authorKind: 'bot',
    outcome: 'replied',
    mode: 'guided',
    model: null,
    fallbackReason: null,
    steps,
  };
}
