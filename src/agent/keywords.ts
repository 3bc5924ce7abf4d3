/**
 * Carrier keywords (CTIA rules, as Twilio applies them to SMS): a message that is exactly one of these
 * words opts the number out, back in, or asks for help. WhatsApp has no carrier rules; there only
 * STOP and UNSUBSCRIBE opt out, so "cancel" stays free for cancelling an appointment.
 */
const OPT_OUT: Record<string, readonly string[]> = {
  sms: ['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit'],
  whatsapp: ['stop', 'unsubscribe'],
};
const OPT_IN = ['start', 'unstop', 'yes'];
const HELP = ['help', 'info'];

export type CarrierKeyword = 'opt_out' | 'opt_in' | 'help';

const normalize = (text: string) => text.trim().toLowerCase().replace(/[.!]+$/, '');

/**
 * The carrier keyword the message is, if any. Opt-in words count only while opted out (so "yes" stays
 * an answer otherwise); HELP is a carrier keyword on SMS only (elsewhere the agent answers it).
 */
export function carrierKeyword(channel: string, text: string, optedOut: boolean): CarrierKeyword | undefined {
  const word = normalize(text);
  if (OPT_OUT[channel]?.includes(word)) return 'opt_out';
  if (optedOut && OPT_IN.includes(word)) return 'opt_in';
  if (channel === 'sms' && HELP.includes(word)) return 'help';
  return undefined;
}

const HANDOFF = /^(agent|human|person|operator|representative|staff|receptionist)$|\b(talk|speak|chat)\s+(to|with)\s+(a|an|some)?\s*(one|someone|human|person|agent|staff|receptionist|doctor|nurse)\b/;

/** "agent", "human", "talk to someone": the patient asks for a person, in any mode. */
export const asksForPerson = (text: string): boolean => HANDOFF.test(normalize(text));
