import type { ConversationChannel } from '../../modules/conversations/entities.js';
import type { ClinicProfile } from '../../modules/conversations/clinic.js';
import type { ToolCaller } from '../../tools/ai-sdk.js';

/**
 * Guided mode: the deterministic conversation engine that answers without a language model (the
 * default when none is configured, and the fallback when it fails). It acts only through the
 * operations, via `call`, exactly like the model does.
 */
export type GuidedInput = {
  /** The patient's message. */
  text: string;
  /** The message's channel id (Twilio's MessageSid), else its id: what it adds is keyed by it, so a run again adds nothing. */
  messageKey: string;
  /** What the engine saved last turn (undefined on the first), JSON-serializable. */
  state: GuidedState | undefined;
  /** Runs an operation for this conversation through the runner (see src/agent/tool-caller.ts). */
  call: ToolCaller;
  clinic: ClinicProfile;
  now: Date;
  channel: ConversationChannel;
  /** The patient the conversation is verified as at the start of the turn (null: not verified), and their first name. */
  patientId: string | null;
  givenName: string | null;
  /** The verified patient's preferred language (BCP 47), if they have one. */
  preferredLanguage?: string | null;
  /**
   * Who the conversation is verified as now, read again: a check in this turn may have changed it.
   * Asked only when the turn verified and then offered options from the patient's records.
   */
  verifiedPatient(): Promise<string | null>;
};

/** The engine's memory between turns: the flow it is in and the options it offered. */
export type GuidedState = Record<string, unknown>;

export type GuidedResult = {
  reply: string;
  state: GuidedState;
  /** True when the engine handed the conversation to staff (the bot is then silent). */
  handedOff: boolean;
};
