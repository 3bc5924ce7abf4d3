import { BOOKING_WORDS, normalize, type Intent } from './intents.js';
import { ADDRESSING } from './names.js';
import { withoutSpans, type WhenReading } from './when.js';

/**
 * What a booking or rescheduling request asks for beyond the keyword: when (read by when.ts) and who or
 * where (the words left once the date, the time and the request's own words are taken out, matched
 * later against the clinic's lists by names.ts).
 */

/** Words of a request that name nobody, in English and Spanish: connecting words, "anything free", greetings, a date of birth's own words. */
const FILLER = new Set(
  `on at in after before between and or from to until till by around any anything something free available availability time times slot slots
   there is are do does have has got earliest first possible instead also only just hi hello thanks thank ok okay
   reschedule rescheduling move moving change changing postpone different can't cant it
   dob birth born birthday date of was
   january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec
   el la los las de del por en a al y o para hay algo cita quiero puedo turno hora
   desde hasta entre antes después despues cualquier alguna algún algun libre libres disponible disponibles disponibilidad horas horario horarios
   turnos tiene tienen tengo tenga primera primer posible también tambien solo sólo hola buenos buenas días dias tardes noches gracias vale
   cambiar cambio mover moverla reprogramar posponer diferente fecha nacimiento nací naci cumpleaños es fue mi
   enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre`.split(/\s+/),
);

/**
 * The words that may name a practitioner, specialty or place ("with dr hart", "dermatology", "harbour
 * st"), titles kept (they tell names from words); undefined when only request words are left.
 */
export function namedIn(text: string, reading: WhenReading | undefined): string | undefined {
  const rest = normalize(reading ? withoutSpans(text, reading.spans) : text).replace(/\?/g, ' ');
  const words = rest.split(' ').filter((word) => word !== '' && !/\d/.test(word) && !FILLER.has(word) && (ADDRESSING.has(word) || !BOOKING_WORDS.has(word)));
  if (words.every((word) => ADDRESSING.has(word))) return undefined;
  return words.join(' ').slice(0, 200);
}

/** The preference as the patient's own words, without titles: "Dr Nobody" is shown as "nobody". */
export const preferenceText = (preference: string) =>
  preference
    .split(' ')
    .filter((word) => !ADDRESSING.has(word))
    .join(' ');

/**
 * The names in a text that is not plainly a booking request ("move it to Dr Ruiz", "Friday with Dr
 * Hart?"): only words after a title or "with" count, the others ("I can't make it") name nobody.
 */
export function addressedIn(text: string, reading: WhenReading | undefined): string | undefined {
  const named = namedIn(text, reading);
  return named?.split(' ').some((word) => ADDRESSING.has(word)) ? named : undefined;
}

/** A book or reschedule request with what it asks for: the day and time read this turn (read only for such a request), and the names. */
export function withRequest(intent: Intent, text: string, when: () => WhenReading | undefined): Intent {
  if (intent.kind !== 'task' || (intent.task.name !== 'book' && intent.task.name !== 'reschedule')) return intent;
  const reading = when();
  const preference = intent.task.name === 'book' ? namedIn(text, reading) : addressedIn(text, reading);
  return { kind: 'task', task: { name: intent.task.name, ...(preference ? { preference } : {}), ...(reading ? { when: reading.when } : {}) } };
}
