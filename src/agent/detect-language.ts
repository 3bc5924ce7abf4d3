import type { Language } from './language.js';

/**
 * Which of the agent's languages a patient's message is written in, told cheaply by counting words
 * that belong to one language and not the other: common function words, and the words patients use
 * with a clinic. A message with none of them ("1", "ok", "no", a date, a name) says nothing, and the
 * conversation keeps the language it had. Chosen over a general detector (franc, cld and the like)
 * because patients write one to five words ("sí", "mis citas", "hola"), where trigram detectors are
 * unreliable and confuse Spanish with Portuguese or Italian; two languages and "cannot tell" are all
 * the agent needs, and this costs microseconds on every turn.
 */

const SPANISH = new Set(
  `de del la las los el que en y por para con una uno unos unas es está están esta este estos esto eso
   hay muy pero más mas como cómo qué cuál cuándo cuando dónde donde quién porque también sobre
   yo mi mis tu tus su sus usted ustedes nos nosotros le les lo gustaría quisiera quiero necesito puedo
   puede pueden tengo tiene tienen soy estoy ser fue hola gracias buenos buenas buen días dias tardes noches
   adiós adios chao sí si claro vale bueno favor porfa ayuda ayúdame ayudame agente persona alguien hablar
   llamar llámenme llamenme cita citas consulta turno hora horas horario horarios fecha nacimiento nací naci
   cancelar cancela anular reprogramar cambiar mover posponer agendar reservar pedir sacar confirmar confirmo
   menú próxima proxima próximo proximo siguiente ninguna ninguno nada nunca mañana hoy semana tarde después
   despues luego ahora otra otro dos tres cuatro cinco primero primera segundo segunda tercero tercera
   enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
   urgencia emergencia urgente dolor pecho respirar médico medico doctora enfermera paciente nuevo nueva
   dirección direccion teléfono telefono estacionamiento seguro aceptan abren cierran abierto cerrado
   cuestionario formulario salud alergia alergias medicamentos saltar pausa fumo fumar parar detener baja alta comenzar`.split(/\s+/),
);

const ENGLISH = new Set(
  `the and is are was were be been to of for with from at on in into by about what which who when where why
   how can could would should will do does did have has had i i'm i'd my me we our you your it this that
   these those there here not don't can't please thanks thank hello hi hey bye goodbye yes yeah yep sure
   help agent person someone somebody talk speak call appointment appointments appt book booking schedule
   reschedule cancel confirm change move time times today tomorrow morning afternoon evening week next
   first second third one two three four five option number birth date born new patient name want need
   like get see more later back stop none never past smoke questionnaire skip pause emergency pain
   chest breathe doctor's nurse address phone parking insurance open opening hours closed accept`.split(/\s+/),
);

/** Characters only Spanish writes; accented vowels alone are not enough (names: "José", "María"). */
const SPANISH_MARKS = /[¿¡ñ]/;

const words = (text: string) => text.toLowerCase().match(/[\p{L}']+/gu) ?? [];

/** The language the text is clearly written in: more words of one than of the other. Undefined when it cannot tell. */
export function detectLanguage(text: string): Language | undefined {
  let spanish = SPANISH_MARKS.test(text) ? 1 : 0;
  let english = 0;
  for (const word of words(text.length > 2_000 ? text.slice(0, 2_000) : text)) {
    if (SPANISH.has(word)) spanish += 1;
    else if (ENGLISH.has(word)) english += 1;
  }
  if (spanish > english) return 'es';
  if (english > spanish) return 'en';
  return undefined;
}

/**
 * Whether the text is written in a script neither language uses (Cyrillic, Chinese, Arabic, …): fewer
 * than a quarter of its letters are Latin, so "My name is Иван Петров" is still English. Emoji, digits
 * and punctuation are not letters, so they count for neither.
 */
export function otherScript(text: string): boolean {
  const sample = text.length > 2_000 ? text.slice(0, 2_000) : text;
  const letters = sample.match(/\p{L}/gu)?.length ?? 0;
  const latin = sample.match(/\p{Script=Latin}/gu)?.length ?? 0;
  return letters > 0 && latin * 4 < letters;
}
