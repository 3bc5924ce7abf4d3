/**
 * What guided mode reads in Spanish, beside the English patterns in intents.ts: the same intents, the
 * same shapes. Matched against the normalized text without accents (`withoutAccents`), since patients
 * often type "si", "menu" or "mas" for "sí", "menú" and "más"; the patterns are written without them.
 */

/** "menú" → "menu", "mañana" → "manana": the text as the Spanish patterns read it. */
export const withoutAccents = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '');

const whole = (pattern: string) => new RegExp(`^(?:${pattern})$`);

export const spanish = {
  emergency:
    /\b(emergencia|urgencia|dolor (de|en el) pecho|no puedo respirar|me falta el aire|falta de aire|inconsciente|desmay\w*|sobredosis|suicid\w*|matarme|quitarme la vida|infarto|ataque al corazon|derrame cerebral|convulsi\w*|hemorragia|sangr\w* (mucho|demasiado|abundante\w*|fuerte\w*))\b/,
  handoff: /\b(agente|humano|una persona|persona real|alguien|recepcion\w*|operador\w*|representante|enfermer[oa]|hablar con|llamenme|me pueden llamar)\b|^persona$/,
  menu: whole('ayuda|menu|opciones|menu principal|que puedes hacer|que puede hacer|inicio'),
  back: whole('atras|volver|regresar|cancelar eso|olvidalo|olvidelo|dejalo|dejelo|empezar de nuevo|salir|no importa|ahora no'),
  register: /^(nuevo|nueva)$|\b(registrarme|registrar|inscribirme|paciente nuev[oa]|soy nuev[oa]|primera vez|no estoy registrad[oa])\b/,
  yes: /^(si|sip|claro|dale|de acuerdo|correcto|afirmativo|por supuesto|asi es|exacto|eso es|hagalo|adelante)( (cancelala|confirmala|reservala|hagalo|adelante|claro|si))*$/,
  casualYes: whole('vale|bueno|esta bien'),
  no: /^(no|nop|para nada|mejor no|incorrecto|dejela|dejala|mantenerla)( (dejela|dejala|mantenerla|no))*$/,
  more: whole('mas|mas horas|mas horarios|otras horas|otros horarios|mas tarde|siguiente|siguientes|ver mas|despues'),
  greeting: /^(hola|buenos dias|buenas tardes|buenas noches|buenas|buen dia|saludos|que tal)\b/,
  thanks: /^(gracias|muchas gracias|mil gracias|adios|chao|chau|hasta luego|perfecto|genial|excelente|listo|entendido)\b/,
  clinicInfo: /\b(horarios?|abren|abierto|abiertos|cierran|cerrado|direccion|donde estan|donde quedan|ubicacion|ubicados|como llego|estacionamiento|aparcamiento|parqueo|estacionar|su telefono|numero de telefono)\b/,
  cancel: /\b(anular|anulen)\b/,
  reschedule: /\b(reprogram\w*|cambiar|cambio|mover|muevan?|posponer|aplazar|otra (hora|fecha|dia)|no puedo ir)\b/,
  book: /\b(agendar|reservar|pedir (una )?cita|hacer una cita|sacar (una )?cita|nueva cita|cita nueva|ver al (doctor|medico)|ver a la doctora)\b/,
  /** "quiero una cita con dermatología", but not "¿cuándo es mi cita?". */
  wantsAppointment: (text: string) => /\b(quiero|necesito|quisiera|gustaria|puedo)\b/.test(text) && /\b(cita|consulta|turno)\b/.test(text) && !/\bmis?\b/.test(text),
  intake: /\b(cuestionario|formulario (de salud|medico)|historia clinica|preguntas de salud)\b/,
  list: /\b(citas?|turnos?|cuando es|proxima cita)\b/,
};

/** Trailing and leading politeness in Spanish: "sí por favor" and "2 gracias" read as "sí" and "2". */
export const withoutSpanishCourtesy = (text: string) => text.replace(/(\s+(por favor|porfa|gracias|muchas gracias))+$/, '').replace(/^(por favor|porfa)\s+/, '');

/** Words that say "book" in Spanish rather than what to book (see bookingPreference). */
export const SPANISH_BOOKING_WORDS = `quiero quisiera necesito me gustaria gustaría una un cita consulta turno nueva nuevo con el la los las al a para de del por favor
  ver doctor doctora dra médico medico agendar reservar pedir sacar hacer hora lo antes posible pronto mañana hoy semana próxima proxima otra otro`.split(/\s+/);

/** Option numbers in Spanish words: "dos", "la segunda", "opción tres". */
export const SPANISH_NUMBER_WORDS: Record<string, number> = {
  uno: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, siete: 7, ocho: 8, nueve: 9, diez: 10,
  primero: 1, primera: 1, primer: 1, segundo: 2, segunda: 2, tercero: 3, tercera: 3, tercer: 3, cuarto: 4, cuarta: 4,
  quinto: 5, quinta: 5, sexto: 6, sexta: 6, septimo: 7, séptimo: 7, septima: 7, séptima: 7, octavo: 8, octava: 8,
  noveno: 9, novena: 9, decimo: 10, décimo: 10, decima: 10, décima: 10,
};
export const SPANISH_NUMBER_FILLER = ['opcion', 'opción', 'numero', 'número', 'el', 'la', 'quiero', 'elijo', 'tomo', 'esa', 'ese', 'esta', 'este', 'por', 'favor', 'gracias', 'es'];
