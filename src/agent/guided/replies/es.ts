import type { AppointmentChoice, IntakeQuestion, PractitionerChoice, SlotChoice } from '../state.js';
import type { TimeOfDay, When } from '../when.js';
import { blocksIn, join, sentence, spoken, type Asked, type ClinicContact, type FilesSent } from './blocks.js';
import type { Replies } from './en.js';

/**
 * Spanish (usted, as a clinic writes to patients). Keywords the patient is asked to send are ones
 * guided mode reads in Spanish (intents.ts): MENÚ, SÍ, NO, NUEVO, MÁS, CAMBIAR, CANCELAR,
 * CUESTIONARIO, SALTAR, PAUSA, NINGUNO, AGENTE; C confirms in both languages.
 */

const { when, day, weekday, clock, numbered, option, confirmKey, appointmentName, appointmentLine, slotLine, whoText } = blocksIn('es', { option: 'opción', confirm: 'confirmar', with: 'con', for: 'para', at: 'en', confirmed: '(confirmada)' });

const INTAKE_QUESTIONS: Record<IntakeQuestion, (voice: boolean) => string> = {
  chief_complaint: () => '¿Cuál es el motivo principal de su visita? Cuéntemelo con sus propias palabras.',
  allergies: () => '¿Tiene alguna alergia (medicamentos, alimentos, látex…)? Responda NINGUNA si no tiene, o escríbalas separadas por comas, por ejemplo: penicilina - sarpullido, cacahuates.',
  medications: () => '¿Qué medicamentos toma ahora? Responda NINGUNO si no toma ninguno, o escríbalos separados por comas, por ejemplo: metformina 500 mg dos veces al día.',
  conditions: () => '¿Tiene o ha tenido enfermedades u operaciones (asma, diabetes…)? Responda NINGUNA, o escríbalas separadas por comas.',
  family_history: () => '¿Hay enfermedades en su familia cercana? Responda NINGUNA, o escríbalas, por ejemplo: madre - diabetes, padre - enfermedad del corazón.',
  tobacco: (voice) => join('¿Fuma o usa tabaco?', numbered(voice, ['Nunca', 'En el pasado', 'Sí, ahora'])),
};
const INTAKE_TOPICS: Record<IntakeQuestion, string> = {
  chief_complaint: 'el motivo de su visita',
  allergies: 'sus alergias (o NINGUNA)',
  medications: 'sus medicamentos (o NINGUNO)',
  conditions: 'sus enfermedades',
  family_history: 'las enfermedades de su familia',
  tobacco: 'el tabaco',
};

/** "el martes 1 de diciembre", "del lunes 30 de noviembre al viernes 4 de diciembre", "a partir del martes 1 de diciembre". */
function daysText(asked: When): string | undefined {
  if (asked.startDate) return `a partir del ${weekday(asked.startDate)}`;
  if (asked.dates.length === 0) return undefined;
  return asked.dates.map((range) => (range.from === range.to ? `el ${weekday(range.from)}` : `del ${weekday(range.from)} al ${weekday(range.to)}`)).join(' o ');
}

/** "las 3:00 p. m.", but "la 1:00 p. m.". */
const theHour = (time: string) => `${Number(time.slice(0, 2)) % 12 === 1 ? 'la' : 'las'} ${clock(time)}`;

/** "por la tarde", "a las 3:00 p. m.", "entre las 2:00 p. m. y las 4:00 p. m.". */
function timeText(time: TimeOfDay): string {
  switch (time.kind) {
    case 'morning':
      return 'por la mañana';
    case 'afternoon':
      return 'por la tarde';
    case 'evening':
      return 'por la noche';
    case 'at':
      return `a ${theHour(time.from)}`;
    case 'after':
      return `después de ${theHour(time.from)}`;
    case 'before':
      return `antes de ${theHour(time.to)}`;
    case 'between':
      return `entre ${theHour(time.from)} y ${theHour(time.to)}`;
  }
}

/** "el martes 1 de diciembre por la tarde", "el lunes 30 de noviembre o el martes 1 de diciembre", "después de las 5:00 p. m.". */
function whenText(asked: When): string {
  return [daysText(asked), asked.time ? timeText(asked.time) : undefined].filter(Boolean).join(' ');
}

/** "el martes 1 de diciembre por la tarde con Dr. Amelia Hart en Harbor Street". */
const askedText = (search: Asked) => [search.when ? whenText(search.when) : undefined, ...whoText(search)].filter(Boolean).join(' ');

export const es: Replies = {
  // ---- building blocks ------------------------------------------------------------------------
  when,
  dayText: day,
  numbered,
  spoken: (text: string) => spoken(text, 'es', [[/\bResponda\b/g, 'Diga'], [/\bresponda\b/g, 'diga']]),

  // ---- menu and small talk ----------------------------------------------------------------------
  menu(voice: boolean): string {
    if (voice) {
      return '¿En qué le puedo ayudar? Diga opción 1 para escuchar sus citas, opción 2 para pedir una cita, opción 3 para cambiar una cita, opción 4 para cancelar una cita, u opción 5 para hablar con una persona. Para confirmar su próxima cita, diga confirmar.';
    }
    return join(
      '¿En qué le puedo ayudar? Responda con un número:',
      numbered(false, ['Mis citas', 'Pedir una cita', 'Cambiar una cita', 'Cancelar una cita', 'Hablar con una persona']),
      'O responda C para confirmar su próxima cita.',
    );
  },
  greeting: (clinicName: string, givenName: string | null) => `Hola${givenName ? ` ${givenName}` : ''}, le saluda ${clinicName}.`,
  notUnderstood: (voice: boolean, misses: number) =>
    misses >= 2
      ? `Disculpe, sigo sin entender. Solo puedo ayudarle con las opciones de abajo; para cualquier otra cosa, responda ${option(voice, 5)} para hablar con una persona.`
      : 'Disculpe, no entendí su mensaje.',
  stopped: 'De acuerdo, lo dejé.',
  moreHelp: (voice: boolean) => (voice ? '¿Algo más? Diga menú para escuchar las opciones.' : '¿Algo más? Responda MENÚ para ver las opciones.'),
  welcome: 'De nada. Responda MENÚ cuando quiera.',
  acknowledged: 'De acuerdo. Responda MENÚ cuando quiera.',
  confirmWhat: (voice: boolean) => `¿Quiere confirmar su próxima cita? Responda ${confirmKey(voice)} para confirmarla, o MENÚ para ver lo que puedo hacer.`,
  expired: 'Disculpe, eso fue hace un rato y puede haber cambiado.',

  // ---- messages that are not words (see flows/odd-messages.ts) --------------------------------------
  onlyWords: 'Disculpe, solo puedo leer palabras y números.',
  replyMenu: (voice: boolean): string => (voice ? 'Diga menú para escuchar lo que puedo hacer.' : 'Responda MENÚ para ver lo que puedo hacer.'),
  tooLong:
    'Gracias por su mensaje. Es demasiado largo para que yo lo lea aquí: puedo ayudarle con pedidos cortos, como "mis citas". Responda AGENTE y alguien de nuestro equipo lo leerá.',
  otherLanguage: 'Lo sentimos, solo podemos responder en inglés o en español. Responda AGENTE para hablar con una persona.',

  // ---- identity -------------------------------------------------------------------------------
  askDateOfBirth: (voice: boolean) =>
    voice
      ? 'Primero, para proteger su información, diga su fecha de nacimiento, por ejemplo 12 de marzo de 1984. Si es paciente nuevo, diga nuevo.'
      : 'Primero, para proteger su información: ¿cuál es su fecha de nacimiento? (por ejemplo 12/03/1984 o 12 de marzo de 1984)\n¿Paciente nuevo? Responda NUEVO.',
  dateNotRead: 'Disculpe, no pude leer esa fecha. Envíe su fecha de nacimiento así: 12/03/1984 o 12 de marzo de 1984.',
  whichDate: (voice: boolean, dates: [string, string]) =>
    join(`¿Quiso decir ${day(dates[0])} o ${day(dates[1])}?`, numbered(voice, dates.map(day)), voice ? 'Diga opción 1 u opción 2.' : 'Responda 1 o 2.'),
  familyNameNotRead: 'Envíe su apellido tal como aparece en sus registros.',
  askFullName: '¡Bienvenido! Para registrarle, ¿cuál es su nombre completo (nombre y apellido)?',
  fullNameNeeded: 'Envíe su nombre y su apellido, por ejemplo Ana Ruiz.',
  askRegistrationDateOfBirth: (givenName: string) => `Gracias, ${givenName}. ¿Cuál es su fecha de nacimiento? (por ejemplo 12/03/1984)`,
  alreadyVerified: (givenName: string | null) => `Usted ya está verificado${givenName ? ` como ${givenName}` : ''}, así que no hay nada que registrar.`,
  verified: (givenName: string | null) => `Gracias${givenName ? `, ${givenName}` : ''}, ya está verificado.`,
  askFamilyName: 'Gracias. Para asegurarnos de que es usted, ¿cuál es su apellido?',
  detailsDoNotMatch:
    'Esos datos no coinciden con nuestros registros para este número. Revise la fecha de nacimiento (por ejemplo 12/03/1984), o responda NUEVO para registrarse, o AGENTE para hablar con una persona.',
  locked: 'Demasiados intentos. Por su seguridad, inténtelo de nuevo en 30 minutos, o responda AGENTE para hablar con nuestro equipo.',
  confirmToFinish:
    'Gracias. Para terminar, confirme su fecha de nacimiento (por ejemplo 12/03/1984), para que podamos compararla con nuestros registros de este número. Si no coincide, responda AGENTE y nuestro equipo le ayudará.',

  // ---- appointments ---------------------------------------------------------------------------
  noUpcoming: (voice: boolean) => `No tiene citas próximas. Responda ${option(voice, 2)} para pedir una.`,
  appointmentList: (voice: boolean, appointments: AppointmentChoice[], more: boolean, nextNeedsConfirming: boolean) =>
    join(
      appointments.length === 1 ? 'Su próxima cita:' : 'Sus próximas citas:',
      numbered(voice, appointments.map(appointmentLine)),
      more ? `Tiene más citas después; responda ${option(voice, 5)} si necesita ayuda con ellas.` : undefined,
      nextNeedsConfirming
        ? `Responda ${confirmKey(voice)} para confirmar la próxima, CAMBIAR para mover una, o CANCELAR para cancelar una.`
        : 'Responda CAMBIAR para mover una, CANCELAR para cancelar una, o MENÚ.',
    ),
  confirmed: (appointment: AppointmentChoice) => `Gracias, su cita del ${appointmentName(appointment)} está confirmada.`,
  alreadyConfirmed: (appointment: AppointmentChoice) => `Su cita del ${appointmentName(appointment)} ya está confirmada. ¡Hasta entonces!`,
  cannotConfirm: (voice: boolean, appointment: AppointmentChoice) =>
    `Su cita del ${appointmentName(appointment)} ya no se puede confirmar. Responda ${option(voice, 1)} para ver sus citas, o ${option(voice, 5)} para hablar con una persona.`,
  chooseAppointment: (voice: boolean, purpose: 'cancel' | 'reschedule', appointments: AppointmentChoice[]) =>
    join(
      purpose === 'cancel' ? '¿Qué cita quiere cancelar?' : '¿Qué cita quiere cambiar?',
      numbered(voice, appointments.map(appointmentLine)),
      voice ? 'Diga el número de la opción.' : 'Responda con su número.',
    ),
  confirmCancel: (appointment: AppointmentChoice) => `¿Cancelar su cita del ${appointmentName(appointment)}? Responda SÍ para cancelarla, o NO para mantenerla.`,
  cancelled: (voice: boolean, appointment: AppointmentChoice) =>
    `Su cita del ${appointmentName(appointment)} está cancelada. Responda ${option(voice, 2)} si quiere pedir otra hora.`,
  kept: 'De acuerdo, su cita queda como está.',
  yesOrNo: 'Por favor, responda SÍ o NO.',
  pickNumber: (voice: boolean, count: number) => (voice ? `Por favor, diga una opción del 1 al ${count}, o diga menú.` : `Por favor, responda con un número del 1 al ${count}, o MENÚ.`),

  // ---- free slots -----------------------------------------------------------------------------
  slotOffer(options: { voice: boolean; purpose: 'book' | 'reschedule'; slots: SlotChoice[]; moving?: AppointmentChoice; intro?: string; heading?: string }): string {
    const heading = options.heading ?? (options.moving ? `Su cita es el ${appointmentName(options.moving)}. Horas libres para moverla:` : 'Las próximas horas libres:');
    const action = options.purpose === 'book' ? 'reservarla' : 'mover su cita a esa hora';
    return join(
      options.intro,
      heading,
      numbered(options.voice, options.slots.map(slotLine)),
      options.voice ? `Diga el número de la opción para ${action}, o diga más para ver horas más tarde.` : `Responda con un número para ${action}, MÁS para horas más tarde, o MENÚ.`,
    );
  },
  preferenceNotFound: (preference: string) => `No encontré a ningún profesional que coincida con "${preference}", así que estas son las horas con cualquiera.`,
  noSlots: (voice: boolean, label: string | undefined) =>
    `Disculpe, no hay horas libres en las próximas dos semanas${label ? ` con ${label}` : ''}. Responda ${option(voice, 5)} para hablar con una persona, que le ayudará a encontrar una hora.`,
  noMoreSlots: (voice: boolean) =>
    `No hay más horas libres en las dos semanas siguientes. Responda con un número de la lista, o ${option(voice, 5)} para hablar con una persona.`,
  slotTaken: 'Disculpe, otra persona acaba de reservar esa hora.',
  slotGone: 'Disculpe, esa hora ya no está disponible.',
  patientBusy: 'Ya tiene otra cita a esa hora.',
  booked: (slot: SlotChoice) => `Cita reservada: ${slotLine(slot)} (${slot.locationName}). Responda MENÚ si necesita algo más.`,
  rescheduled: (voice: boolean, slot: SlotChoice) => `Listo: su cita ahora es el ${slotLine(slot)} (${slot.locationName}). Responda ${confirmKey(voice)} para confirmarla.`,

  // ---- clinic, people, failures -----------------------------------------------------------------
  clinicInfo: (info: { name: string; address: string | null; phone: string | null; hours: string | null }) =>
    join(
      sentence(info.name),
      info.address ? sentence(`Dirección: ${info.address}`) : undefined,
      info.hours ? sentence(`Horario: ${info.hours}`) : undefined,
      info.phone ? sentence(`Teléfono: ${info.phone}`) : undefined,
      'Responda MENÚ para sus citas.',
    ),
  handedOff: (clinic: ClinicContact) =>
    `Pasé su mensaje a nuestro equipo de ${clinic.name}. Alguien le responderá por aquí${clinic.hours ? ` en horario de atención (${clinic.hours}).` : ' lo antes posible.'}` +
    `${clinic.phone ? ` Si es urgente, llame al ${clinic.phone}.` : ''} En una emergencia, llame al 911.`,
  emergency: 'Si es una emergencia, llame al 911 o vaya a la sala de emergencias más cercana ahora.',
  handoffFailed: (phone: string | null) =>
    `Disculpe, no pude comunicarme con nuestro equipo desde aquí en este momento.${phone ? ` Llámenos al ${phone}.` : ' Inténtelo de nuevo en unos minutos.'} En una emergencia, llame al 911.`,
  somethingWentWrong: (voice: boolean, phone: string | null) =>
    `Disculpe, algo falló de nuestro lado. Inténtelo de nuevo en un momento, o responda ${option(voice, 5)} para hablar con una persona${phone ? ` (o llame al ${phone})` : ''}.`,
  appointmentGone: (voice: boolean) => `No encontré esa cita; puede que haya cambiado. Responda ${option(voice, 1)} para ver sus citas.`,
  changedMeanwhile: (voice: boolean) =>
    `No se pudo hacer: algo cambió mientras tanto. Responda ${option(voice, 1)} para ver sus citas, o ${option(voice, 5)} para hablar con una persona.`,

  // ---- carrier keywords and files (answered before either engine) ----------------------------------
  optedOut: (clinicName: string) => `Se dio de baja de los mensajes de ${clinicName} y no recibirá más. Responda START para suscribirse de nuevo.`,
  optedIn: (clinicName: string) => `Está suscrito de nuevo a los mensajes de ${clinicName}. Responda AYUDA para obtener ayuda, o PARAR para dejar de recibirlos.`,
  carrierHelp: (clinic: ClinicContact) =>
    `${clinic.name}: díganos qué necesita, por ejemplo "mis citas", o AGENTE para hablar con una persona.${clinic.phone ? ` Llame al ${clinic.phone}.` : ''} Responda PARAR para darse de baja.`,
  filesReceived(files: FilesSent): string {
    const many = files.count > 1 || files.kind === 'mixed';
    const nouns = { photo: ['su foto', 'sus fotos'], document: ['su documento', 'sus documentos'], 'voice message': ['su mensaje de voz', 'sus mensajes de voz'], file: ['su archivo', 'sus archivos'], mixed: ['sus archivos', 'sus archivos'] };
    const pronoun = files.kind === 'photo' ? (many ? 'las' : 'la') : many ? 'los' : 'lo';
    return `Gracias, recibimos ${nouns[files.kind][many ? 1 : 0]}. Un miembro de nuestro equipo ${pronoun} revisará y le responderá por aquí.`;
  },

  // ---- the phone line's own words (src/channels/twilio/voice.ts) -----------------------------------
  callGreeting: (clinicName: string) => `Hola, se ha comunicado con ${clinicName}. Soy el asistente de la clínica. ¿En qué le puedo ayudar?`,
  callNothingHeard: 'Disculpe, no escuché nada. Adiós.',
  callOneMoment: 'Un momento, por favor.',
  callTooSlow: 'Disculpe, esto está tardando demasiado. Llame de nuevo más tarde, o envíenos un mensaje.',
  callConnecting: 'Le comunico con nuestro equipo.',
  callAnythingElse: '¿En qué más le puedo ayudar?',

  // ---- the health questionnaire (intake) ----------------------------------------------------------
  intakeIntro: 'Vamos a llenar su cuestionario de salud para la clínica. Responda SALTAR para pasar una pregunta, o PAUSA para terminarlo después.',
  intakeResumed: 'Bienvenido de nuevo a su cuestionario de salud: sus respuestas anteriores están guardadas.',
  intakeQuestion: (voice: boolean, question: IntakeQuestion) => INTAKE_QUESTIONS[question](voice),
  intakeNotRead: (voice: boolean, question: IntakeQuestion) =>
    question === 'tobacco' ? `Disculpe, responda ${option(voice, 1)}, ${option(voice, 2)} u ${option(voice, 3)}.` : 'Disculpe, no pude leer eso.',
  intakePaused: 'De acuerdo, guardé sus respuestas. Responda CUESTIONARIO cuando quiera para seguir donde lo dejó.',
  intakeIncomplete: (skipped: readonly IntakeQuestion[]) =>
    `Gracias. Guardé sus respuestas, pero la clínica todavía necesita ${skipped.map((question) => INTAKE_TOPICS[question]).join(' y ')} antes de que pueda enviarlas. Responda CUESTIONARIO cuando esté listo.`,
  intakeSent: 'Gracias, su cuestionario se envió a la clínica. Responda MENÚ si necesita algo más.',

  // ---- what the patient asked for: days, times of day, practitioners, places (issue 18) ----------
  whenText,
  askedText,
  matchingHeading: (search: Asked, moving?: AppointmentChoice) =>
    moving ? `Su cita es el ${appointmentName(moving)}. Horas libres ${askedText(search)} para moverla:` : `Horas libres ${askedText(search)}:`,
  noFreeTime(search: Asked): string {
    const [who, where] = whoText(search);
    const asked = search.when ? ` ${whenText(search.when)}` : ' en las próximas dos semanas';
    const place = where ? ` ${where}` : '';
    if (search.preferenceLabel && !search.specialty) return `${search.preferenceLabel} no tiene horas libres${place}${asked}.`;
    return `Disculpe, no hay horas libres${who ? ` ${who}` : ''}${place}${asked}.`;
  },
  nearestTimes: 'Las horas libres más cercanas:',
  othersThen: 'Otros profesionales tienen horas libres entonces:',
  noMoreMatching: (voice: boolean, search: Asked) =>
    `No hay más horas libres ${askedText(search)}. Responda con un número de la lista, o ${option(voice, 5)} para hablar con una persona.`,
  whichPractitioner: (voice: boolean, options: PractitionerChoice[]) =>
    join(
      '¿A cuál se refiere?',
      numbered(voice, options.map((practitioner) => (practitioner.specialty ? `${practitioner.name} (${practitioner.specialty})` : practitioner.name))),
      voice ? 'Diga el número de la opción.' : 'Responda con su número.',
    ),
  timeNoted: (asked: When) => `Buscaré horas ${whenText(asked)} en cuanto sepa quién es usted.`,
  confirmCentury: (voice: boolean, date: string) => `¿Quiso decir ${day(date)}? ${voice ? 'Diga sí o no.' : 'Responda SÍ o NO.'}`,
  fullYearNeeded: 'Envíe su fecha de nacimiento con el año completo, por ejemplo 12 de marzo de 1984.',
};
