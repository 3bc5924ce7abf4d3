/**
 * Carrier keywords (CTIA rules, as Twilio applies them to SMS): a message that is exactly one of these
 * words opts the number out, back in, or asks for help. Twilio's defaults are English (STOP, STOPALL,
 * UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT; START, UNSTOP, YES; HELP, INFO); Spanish ones exist
 * there only when a clinic adds them (Advanced Opt-Out). A patient writing PARAR, DETENER or BAJA
 * means it all the same, so the agent honours them too (Twilio does not block the number for them:
 * the conversation's opt-out does). CANCELAR is not among them: alone it means cancelling an
 * appointment, as CANCEL does on WhatsApp. WhatsApp has no carrier rules; there only STOP and
 * UNSUBSCRIBE, PARAR and BAJA opt out.
 */
const OPT_OUT: Record<string, readonly string[]> = {
  sms: ['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'revoke', 'optout', 'parar', 'detener', 'baja'],
  whatsapp: ['stop', 'unsubscribe', 'parar', 'baja'],
};
const OPT_IN = ['start', 'unstop', 'yes', 'alta', 'comenzar', 'sí', 'si'];
const HELP = ['help', 'info', 'ayuda'];

export type CarrierKeyword = 'opt_out' | 'opt_in' | 'help';

const normalize = (text: string) => text.trim().toLowerCase().replace(/^[¡¿]+/, '').replace(/[.!]+$/, '');

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
const SPANISH_HANDOFF =
  /^(agente|humano|persona|operador|operadora|representante|recepcionista)$|\bhablar\s+con\s+(alguien|una persona|un humano|un agente|el personal|recepci[oó]n|la recepcionista|el doctor|la doctora|el m[eé]dico|una enfermera|la enfermera)\b/;

/** "agent", "human", "talk to someone", "agente", "hablar con alguien": the patient asks for a person, in any mode. */
export const asksForPerson = (text: string): boolean => HANDOFF.test(normalize(text)) || SPANISH_HANDOFF.test(normalize(text));
