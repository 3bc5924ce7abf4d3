import { defineOperation } from '../../tools/operation.js';
import { MessageView } from '../communications/schema.js';
import { getClinicInfo, updateClinicProfile } from './clinic.js';
import { handOff } from './handoff.js';
import * as handling from './handling.js';
import { registerPatient, verifyIdentity } from './identity.js';
import {
  ClinicInfoInput,
  ClinicInfoOutput,
  ConversationInput,
  ConversationView,
  HandoffInput,
  HandoffOutput,
  LinkPatientInput,
  ListAgentTurnsInput,
  ListAgentTurnsOutput,
  ListConversationsInput,
  ListConversationsOutput,
  ListMessagesInput,
  ListMessagesOutput,
  RegisterPatientInput,
  RegisterPatientOutput,
  SendStaffMessageInput,
  UpdateClinicProfileInput,
  VerifyIdentityInput,
  VerifyIdentityOutput,
} from './schema.js';
import * as threads from './threads.js';
import { getTwilioAccount, SetTwilioAccountInput, setTwilioAccount, TwilioAccountView } from './twilio-settings.js';

const tag = 'conversations';
const read = { readOnly: true, destructive: false, idempotent: true };
const write = { readOnly: false, destructive: false, idempotent: true };
const staffOnly = { roles: ['staff'] as const, phi: true };

/** Staff: read threads, write into them, take over and hand back. */
const staffOperations = [
  defineOperation({
    name: 'list_conversations',
    title: 'List conversations',
    description: 'Conversations with patients, most recently active first; filter by channel, status, who handles them (bot or staff), patient or contact.',
    tag,
    input: ListConversationsInput,
    output: ListConversationsOutput,
    annotations: read,
    access: staffOnly,
    http: { method: 'get', path: '/conversations' },
    run: (ctx, input) => threads.listConversations(ctx, input),
  }),
  defineOperation({
    name: 'get_conversation',
    title: 'Get a conversation',
    description: 'One conversation: channel, contact, linked patient and verification, who handles it.',
    tag,
    input: ConversationInput,
    output: ConversationView,
    annotations: read,
    access: staffOnly,
    http: { method: 'get', path: '/conversations/{id}' },
    run: (ctx, input) => threads.getConversation(ctx, input.id),
  }),
  defineOperation({
    name: 'list_messages',
    title: 'Read a thread',
    description: 'The messages of a conversation, newest first: the patient’s, the bot’s and staff’s, with delivery status.',
    tag,
    input: ListMessagesInput,
    output: ListMessagesOutput,
    annotations: read,
    access: staffOnly,
    http: { method: 'get', path: '/conversations/{id}/messages' },
    run: (ctx, input) => threads.listMessages(ctx, input),
  }),
  defineOperation({
    name: 'list_agent_turns',
    title: 'List the agent’s turns',
    description: 'How the agent answered each message of a conversation: model or guided mode, every tool step, the fallback reason.',
    tag,
    input: ListAgentTurnsInput,
    output: ListAgentTurnsOutput,
    annotations: read,
    access: staffOnly,
    http: { method: 'get', path: '/conversations/{id}/turns' },
    run: (ctx, input) => threads.listAgentTurns(ctx, input),
  }),
  defineOperation({
    name: 'send_staff_message',
    title: 'Send a message as staff',
    description: 'Writes to the patient in this conversation, delivered over its channel (WhatsApp, SMS), signed as staff in the thread.',
    tag,
    input: SendStaffMessageInput,
    output: MessageView,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: staffOnly,
    http: { method: 'post', path: '/conversations/{id}/messages', status: 201 },
    run: (ctx, input) => handling.sendStaffMessage(ctx, input),
  }),
  ...(
    [
      ['close_conversation', 'Close a conversation', 'Closes the conversation; a new message from the patient reopens it.', '/conversations/{id}/close', handling.closeConversation],
      ['reopen_conversation', 'Reopen a conversation', 'Reopens a closed conversation.', '/conversations/{id}/reopen', handling.reopenConversation],
      ['take_over_conversation', 'Take over from the bot', 'Staff take the conversation: the bot stops answering it until handed back.', '/conversations/{id}/take-over', handling.takeOverConversation],
      ['hand_back_conversation', 'Hand back to the bot', 'Gives the conversation back to the bot, which answers the next message.', '/conversations/{id}/hand-back', handling.handBackConversation],
    ] as const
  ).map(([name, title, description, path, run]) =>
    defineOperation({
      name,
      title,
      description,
      tag,
      input: ConversationInput,
      output: ConversationView,
      annotations: write,
      access: staffOnly,
      http: { method: 'post', path },
      run: (ctx, input) => run(ctx, input.id),
    }),
  ),
  defineOperation({
    name: 'link_conversation_patient',
    title: 'Link a conversation to a patient',
    description: 'Staff confirm who the conversation is with (identified another way): it is linked and verified for the usual time.',
    tag,
    input: LinkPatientInput,
    output: ConversationView,
    annotations: write,
    access: staffOnly,
    http: { method: 'post', path: '/conversations/{id}/link-patient' },
    run: (ctx, input) => handling.linkConversationPatient(ctx, input),
  }),
];

/** The agent, about its own conversation: the runner fills in `conversationId`. */
const agentOperations = [
  defineOperation({
    name: 'verify_identity',
    title: 'Verify the patient’s identity',
    description:
      'Checks the date of birth (and family name, when asked) the patient gave against the records for this phone number. Call it before anything about their health or appointments.',
    tag,
    input: VerifyIdentityInput,
    output: VerifyIdentityOutput,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: { roles: ['staff', 'agent'], conversationScoped: true, patientFacing: true },
    http: { method: 'post', path: '/conversations/{conversationId}/verify' },
    run: (ctx, input) => verifyIdentity(ctx, input),
  }),
  defineOperation({
    name: 'register_patient',
    title: 'Register a new patient',
    description:
      'Registers the person writing as a new patient (name and date of birth) with this conversation’s phone number, unless they are on file already. It does not verify, and it does not say whether they were on file: afterwards ask them to confirm their date of birth and call verify_identity.',
    tag,
    input: RegisterPatientInput,
    output: RegisterPatientOutput,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: { roles: ['staff', 'agent'], conversationScoped: true, patientFacing: true },
    http: { method: 'post', path: '/conversations/{conversationId}/register' },
    run: (ctx, input) => registerPatient(ctx, input),
  }),
  defineOperation({
    name: 'handoff_to_staff',
    title: 'Hand the conversation to staff',
    description:
      'Passes the conversation to a person: use when the patient asks for one, for anything clinical or urgent, complaints, or when you cannot help. The bot then stays silent on it.',
    tag,
    input: HandoffInput,
    output: HandoffOutput,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access: { roles: ['staff', 'agent'], conversationScoped: true, patientFacing: true },
    http: { method: 'post', path: '/conversations/{conversationId}/handoff' },
    run: (ctx, input) => handOff(ctx, input),
  }),
  defineOperation({
    name: 'get_clinic_info',
    title: 'Clinic information',
    description: 'The clinic’s name, address, phone, opening hours, policies and current local time.',
    tag,
    input: ClinicInfoInput,
    output: ClinicInfoOutput,
    annotations: read,
    access: { roles: ['staff', 'agent'], patientFacing: true },
    http: { method: 'get', path: '/clinic' },
    run: (ctx) => getClinicInfo(ctx),
  }),
];

/** Admin: the clinic's profile and Twilio account. The auth token is write-only and kept out of the run log. */
const settingsOperations = [
  defineOperation({
    name: 'update_clinic_profile',
    title: 'Update the clinic profile',
    description: 'Changes the clinic’s name, address, phone, opening hours, policies, and how patients verify who they are (the agent speaks from these), and its quiet hours and send rate for notifications.',
    tag: 'channels',
    input: UpdateClinicProfileInput,
    output: ClinicInfoOutput,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access: { roles: [] },
    http: { method: 'patch', path: '/clinic' },
    run: (ctx, input) => updateClinicProfile(ctx, input),
  }),
  defineOperation({
    name: 'set_twilio_account',
    title: 'Set the Twilio account',
    description: 'Sets the clinic’s Twilio Account SID, auth token and numbers (SMS/voice, WhatsApp). Inbound webhooks find the clinic by these numbers.',
    tag: 'channels',
    input: SetTwilioAccountInput,
    output: TwilioAccountView,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access: { roles: [] },
    http: { method: 'put', path: '/channels/twilio' },
    run: (ctx, input) => setTwilioAccount(ctx, input),
  }),
  defineOperation({
    name: 'get_twilio_account',
    title: 'Get the Twilio account',
    description: 'The clinic’s Twilio Account SID and numbers (never the token), and the webhook URLs to set in Twilio.',
    tag: 'channels',
    input: ClinicInfoInput,
    output: TwilioAccountView,
    annotations: read,
    access: { roles: ['staff'] },
    http: { method: 'get', path: '/channels/twilio' },
    run: (ctx) => getTwilioAccount(ctx),
  }),
];

export const conversationOperations = [...staffOperations, ...agentOperations, ...settingsOperations];
