import type { ClinicProfile } from '../../modules/conversations/clinic.js';
import type { Language } from '../language.js';
import type { Operations } from './calls.js';
import type { Intent } from './intents.js';
import type { Replies } from './replies/index.js';
import type { Step } from './state.js';
import type { GuidedInput } from './types.js';
import type { WhenReading } from './when.js';

/** What every flow works with during one turn. */
export type GuidedContext = {
  operations: Operations;
  clinic: ClinicProfile;
  /** The language of this turn's replies, and those replies: every text for the patient comes from `say`. */
  language: Language;
  say: Replies;
  now: Date;
  channel: GuidedInput['channel'];
  /** Spoken replies: no numbered lists, times in words, "say" rather than "reply". */
  voice: boolean;
  /** Whether the identity check holds now (it may have succeeded earlier in this turn). */
  verified: boolean;
  /** Set when it succeeded in this turn: a refusal after that is not a reason to ask again. */
  verifiedThisTurn: boolean;
  givenName: string | null;
  /** The patient's text as sent (trimmed), and normalized for matching. */
  text: string;
  normalized: string;
  /** The message's channel id (Twilio's MessageSid), else its id: the key of what it adds (intake records). */
  messageKey: string;
  intent: Intent;
  /** A day or time of day the text asks for ("next Tuesday afternoon"): read on first use, at most once a turn (most messages never need it). */
  when(): WhenReading | undefined;
};

/** A flow's answer: what to say and the step to remember. */
export type Answer = {
  text: string;
  step: Step;
  handedOff?: boolean;
  /** The text was not understood (counted, to offer a person sooner). */
  misunderstood?: boolean;
};

export { idleStep } from './state.js';

/** The context once the identity check has succeeded in this turn. */
export const asVerified = (context: GuidedContext, givenName: string | null): GuidedContext => ({
  ...context,
  verified: true,
  verifiedThisTurn: true,
  givenName: givenName ?? context.givenName,
});
