import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectLanguage } from '../src/agent/detect-language.js';
import { choiceNumber, classify, normalize } from '../src/agent/guided/intents.js';
import { repliesIn } from '../src/agent/guided/replies/index.js';
import { fixedClock } from '../src/clock.js';
import { Conversation } from '../src/modules/conversations/entities.js';
import { tenantEntityManager } from '../src/tools/runner.js';
import { API, openClinic, openConversation } from './support/clinic-fixture.js';
import { patientOn } from './support/conversation-driver.js';
import { guidedChat } from './support/conversation-fixtures.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { scriptedModel, text } from './support/mock-model.js';

// Wednesday 2026-11-25, 07:00 in New York: the first free slot is today at 09:00.
const START = new Date('2026-11-25T12:00:00Z');
const clock = fixedClock(START);
let harness: Harness;
let phoneCounter = 100;
const nextPhone = () => `+1212557${String(phoneCounter++).padStart(4, '0')}`;

beforeAll(async () => {
  harness = await createHarness({ clock });
});
afterEach(() => clock.set(START));
afterAll(() => harness.close());

/** A clinic of its own: Dr. Amelia Hart every day 09:00-17:00, Maria Gonzalez (born 1984-03-12) with an appointment on 1 December at 10:00. */
async function openSpanishClinic(options: { locale?: string } = {}) {
  const clinic = await harness.newTenant({ timeZone: 'America/New_York', name: 'Clínica Harbor' });
  const { practitionerId, patient } = await openClinic(harness, clinic, { twilio: false, phone: nextPhone() });
  await clinic.call('POST', `${API}/appointments`, { patientId: patient.id, practitionerId, startAt: '2026-12-01T10:00' });
  if (options.locale) await clinic.call('PATCH', `${API}/clinic`, { locale: options.locale });
  return { clinic, patient };
}

const guidedState = async (clinic: TestTenant, conversationId: string) =>
  (await tenantEntityManager(harness.services, clinic.tenant.id).findOneOrFail(Conversation, { id: conversationId })).state.guided as Record<string, unknown>;

describe('telling Spanish from English', () => {
  it('reads a clear language from a few words, and nothing from numbers, dates, names or words both share', () => {
    for (const spanish of ['hola', 'sí', 'mis citas', 'quiero cancelar mi cita', '¿Aceptan Medicaid?', 'gracias', 'necesito hablar con alguien']) expect(detectLanguage(spanish), spanish).toBe('es');
    for (const english of ['hello', 'yes', 'my appointments', 'I want to cancel', 'do you accept Medicaid?', 'help me', 'call me back']) expect(detectLanguage(english), english).toBe('en');
    for (const neither of ['1', 'ok', 'no', 'C', '12/03/1984', 'Maria Gonzalez', 'José María', '👍', 'menu']) expect(detectLanguage(neither), neither).toBeUndefined();
  });

  it('reads Spanish requests, answers and option numbers, with or without accents', () => {
    const kinds: [string, unknown][] = [
      ['mis citas', { kind: 'task', task: { name: 'list' } }],
      ['quiero agendar una cita', { kind: 'task', task: { name: 'book' } }],
      ['reprogramar', { kind: 'task', task: { name: 'reschedule' } }],
      ['cancelar cita', { kind: 'task', task: { name: 'cancel' } }],
      ['confirmar', { kind: 'task', task: { name: 'confirm' } }],
      ['cuestionario', { kind: 'task', task: { name: 'intake' } }],
      ['sí', { kind: 'yes', casual: false }],
      ['si por favor', { kind: 'yes', casual: false }],
      ['no', { kind: 'no' }],
      ['menú', { kind: 'menu' }],
      ['MENU', { kind: 'menu' }],
      ['más', { kind: 'more' }],
      ['hola', { kind: 'greeting' }],
      ['muchas gracias', { kind: 'thanks' }],
      ['agente', { kind: 'handoff' }],
      ['hablar con alguien', { kind: 'handoff' }],
      ['tengo dolor de pecho', { kind: 'emergency' }],
      ['es una urgencia', { kind: 'emergency' }],
      ['nuevo', { kind: 'register' }],
      ['¿dónde están?', { kind: 'clinic_info' }],
    ];
    for (const [said, kind] of kinds) expect(classify(normalize(said)), said).toEqual(kind);
    expect(classify(normalize('quiero una cita con la doctora Ruiz'))).toEqual({ kind: 'task', task: { name: 'book', preference: 'ruiz' } });
    expect(['dos', 'la segunda', 'opción 2', 'el 2do', 'segundo'].map((said) => choiceNumber(normalize(said)))).toEqual([2, 2, 2, 2, 2]);
    expect(choiceNumber(normalize('quiero una cita'))).toBeUndefined();
  });

  it('has every reply in both languages (the type system holds it; this checks none is left empty or in English)', () => {
    const { en, es } = repliesIn;
    const strings = (replies: typeof en) => Object.entries(replies).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
    for (const [name, english] of strings(en)) {
      const spanish = es[name as keyof typeof es] as string;
      expect(spanish.length, name).toBeGreaterThan(0);
      expect(spanish, name).not.toBe(english);
    }
    expect(es.menu(false)).toContain('1. Mis citas');
    expect(es.when('2026-12-01T13:00:00-05:00')).toBe('martes 1 de diciembre a la 1:00 p. m.');
    expect(es.dayText('1984-03-12')).toBe('12 de marzo de 1984');
  });

  it('says back in Spanish the days, times and people asked for', () => {
    const { en, es } = repliesIn;
    const tuesday = { from: '2026-12-01', to: '2026-12-01' };
    const monday = { from: '2026-11-30', to: '2026-11-30' };
    const afternoon = { dates: [tuesday], time: { from: '12:00', to: '17:00', kind: 'afternoon' as const } };
    expect(es.whenText(afternoon)).toBe('el martes 1 de diciembre por la tarde');
    expect(en.whenText(afternoon)).toBe('on Tuesday 1 December afternoon');
    expect(es.whenText({ dates: [monday, tuesday] })).toBe('el lunes 30 de noviembre o el martes 1 de diciembre');
    expect(es.whenText({ dates: [{ from: '2026-11-30', to: '2026-12-06' }] })).toBe('del lunes 30 de noviembre al domingo 6 de diciembre');
    expect(es.whenText({ dates: [], startDate: '2026-12-09' })).toBe('a partir del miércoles 9 de diciembre');
    expect(es.whenText({ dates: [], time: { from: '13:00', to: '14:00', kind: 'at' } })).toBe('a la 1:00 p. m.');
    expect(es.whenText({ dates: [], time: { from: '17:00', to: '24:00', kind: 'after' } })).toBe('después de las 5:00 p. m.');
    expect(es.whenText({ dates: [], time: { from: '00:00', to: '10:00', kind: 'before' } })).toBe('antes de las 10:00 a. m.');
    expect(es.whenText({ dates: [], time: { from: '14:00', to: '16:00', kind: 'between' } })).toBe('entre las 2:00 p. m. y las 4:00 p. m.');
    const hart = { when: afternoon, preferenceLabel: 'Dr. Amelia Hart', locationLabel: 'Harbor Street' };
    expect(es.matchingHeading(hart)).toBe('Horas libres el martes 1 de diciembre por la tarde con Dr. Amelia Hart en Harbor Street:');
    expect(es.noFreeTime(hart)).toBe('Dr. Amelia Hart no tiene horas libres en Harbor Street el martes 1 de diciembre por la tarde.');
    expect(es.noFreeTime({ specialty: 'Dermatology', preferenceLabel: 'Dermatology' })).toBe('Disculpe, no hay horas libres para Dermatology en las próximas dos semanas.');
    expect(es.timeNoted(afternoon)).toBe('Buscaré horas el martes 1 de diciembre por la tarde en cuanto sepa quién es usted.');
    expect(es.confirmCentury(false, '1984-03-12')).toBe('¿Quiso decir 12 de marzo de 1984? Responda SÍ o NO.');
    expect(es.whichPractitioner(false, [{ id: 'a', name: 'Dr. Amelia Hart', specialty: 'Family medicine' }, { id: 'b', name: 'Dr. John Hart', specialty: null }])).toBe(
      '¿A cuál se refiere?\n1. Dr. Amelia Hart (Family medicine)\n2. Dr. John Hart\nResponda con su número.',
    );
  });
});

describe('guided mode in Spanish', () => {
  it('answers a Spanish conversation in Spanish from the first message, keeps it for "1" and "sí", and cancels', async () => {
    const { clinic, patient } = await openSpanishClinic();
    const maria = patientOn(harness, clinic, patient.phone);
    const hello = await maria.say('Hola');
    expect(hello.reply).toMatch(/^Hola, le saluda Clínica Harbor\.\n¿En qué le puedo ayudar\? Responda con un número:\n1\. Mis citas\n/);
    const asked = await maria.say('1');
    expect(asked.reply).toContain('¿cuál es su fecha de nacimiento?');
    const listed = await maria.say('12 de marzo de 1984');
    expect(listed.reply).toBe(
      'Gracias, Maria, ya está verificado.\nSu próxima cita:\n1. martes 1 de diciembre a las 10:00 a. m. con Dr. Amelia Hart\n' +
        'Responda C para confirmar la próxima, CAMBIAR para mover una, o CANCELAR para cancelar una.',
    );
    const cancelling = await maria.say('cancelar');
    expect(cancelling.reply).toBe('¿Cancelar su cita del martes 1 de diciembre a las 10:00 a. m. con Dr. Amelia Hart? Responda SÍ para cancelarla, o NO para mantenerla.');
    const cancelled = await maria.say('sí');
    expect(cancelled.reply).toContain('está cancelada. Responda 2 si quiere pedir otra hora.');
    expect(await guidedState(clinic, cancelled.conversationId)).toMatchObject({ language: 'es' });
  });

  it('books "la segunda" of the times offered, in Spanish', async () => {
    const { clinic, patient } = await openSpanishClinic();
    const maria = patientOn(harness, clinic, patient.phone);
    await maria.say('quiero una cita');
    const offered = await maria.say('12/03/1984');
    expect(offered.reply).toContain('¿Quiso decir 12 de marzo de 1984 o 3 de diciembre de 1984?');
    const slots = await maria.say('1');
    expect(slots.reply).toContain('Las próximas horas libres:\n1. miércoles 25 de noviembre a las 9:00 a. m. con Dr. Amelia Hart');
    expect((await maria.say('la segunda')).reply).toBe('Cita reservada: miércoles 25 de noviembre a las 9:30 a. m. con Dr. Amelia Hart (Harbor Street). Responda MENÚ si necesita algo más.');
  });

  it('follows a patient who clearly switches language, and not one who gives a name', async () => {
    const { clinic } = await openSpanishClinic();
    const someone = patientOn(harness, clinic, nextPhone());
    expect((await someone.say('hola')).reply).toContain('¿En qué le puedo ayudar?');
    expect((await someone.say('I would like to book an appointment')).reply).toContain('what is your date of birth?');
    expect((await someone.say('new')).reply).toBe('Welcome! To register you, what is your full name (first and last name)?');
    // "de la" are Spanish words, but a name says nothing about the language wanted.
    expect((await someone.say('Ana de la Cruz')).reply).toMatch(/^Thanks, Ana.* What is your date of birth\?/);
    expect((await someone.say('ahora no')).reply).toContain('De acuerdo, lo dejé.');
  });

  it('answers "1" in the verified patient’s preferred language, and in the clinic’s when nothing else says', async () => {
    const { clinic, patient } = await openSpanishClinic();
    await clinic.call('PATCH', `${API}/patients/${patient.id}`, { preferredLanguage: 'es-MX' });
    const maria = patientOn(harness, clinic, patient.phone, 'sms');
    // Not verified yet: no patient, so no preferred language; the clinic's default (English) answers.
    expect((await maria.say('1')).reply).toContain('what is your date of birth?');
    expect((await maria.say('1984-03-12')).reply).toContain('you are verified');
    expect((await maria.say('1')).reply).toContain('Su próxima cita:');

    const spanishClinic = await openSpanishClinic({ locale: 'es' });
    expect((await patientOn(harness, spanishClinic.clinic, nextPhone()).say('1')).reply).toContain('¿cuál es su fecha de nacimiento?');
  });

  it('counts wrong dates of birth in Spanish and English together toward the lockout', async () => {
    const { clinic, patient } = await openSpanishClinic();
    const maria = patientOn(harness, clinic, patient.phone);
    await maria.say('mis citas');
    for (const wrong of ['1 de enero de 1990', '2 de enero de 1990', '3 de enero de 1990']) {
      expect((await maria.say(wrong)).reply).toContain('Esos datos no coinciden con nuestros registros');
    }
    expect((await maria.say('my appointments please')).reply).toContain('what is your date of birth?');
    expect((await maria.say('January 4 1990')).reply).toContain('do not match our records');
    expect((await maria.say('January 5 1990')).reply).toContain('Too many attempts');
    // Locked: even the right date does not verify, in either language.
    expect((await maria.say('12 de marzo de 1984')).reply).toContain('Demasiados intentos');
    expect((await maria.conversation()).patientId).toBeNull();
  });

  it('registers a new patient in Spanish', async () => {
    const { clinic } = await openSpanishClinic();
    const contact = nextPhone();
    const chat = guidedChat(harness, clinic, { conversationId: await openConversation(harness, clinic, contact) });
    await chat.send('quiero ver mis citas');
    expect((await chat.send('nuevo')).reply).toContain('¿cuál es su nombre completo');
    expect((await chat.send('juan pérez')).reply).toBe('Gracias, Juan. ¿Cuál es su fecha de nacimiento? (por ejemplo 12/03/1984)');
    expect((await chat.send('4 de julio de 1990')).reply).toContain('Para terminar, confirme su fecha de nacimiento');
    expect((await chat.send('04/07/1990')).reply).toContain('¿Quiso decir 4 de julio de 1990 o 7 de abril de 1990?');
    const verified = await chat.send('1');
    expect(verified.reply).toBe('Gracias, Juan, ya está verificado.\nNo tiene citas próximas. Responda 2 para pedir una.');
  });

  it('speaks Spanish on the phone: "Diga", options in words', async () => {
    const { clinic, patient } = await openSpanishClinic();
    const call = guidedChat(harness, clinic, { conversationId: await openConversation(harness, clinic, patient.phone, 'voice') });
    const menu = await call.send('menú por favor');
    expect(menu.reply).toContain('Diga opción 1 para escuchar sus citas');
    await call.send('quiero una cita');
    const offered = await call.send('doce de marzo... perdón, 12 de marzo de 1984');
    expect(offered.reply).toContain('Opción 1, miércoles 25 de noviembre a las 9:00 a. m. con Dr. Amelia Hart.');
    expect(offered.reply).not.toMatch(/\n|Responda/);
  });

  it('fills in the questionnaire in Spanish', async () => {
    const { clinic, patient } = await openSpanishClinic();
    const maria = patientOn(harness, clinic, patient.phone);
    await maria.say('cuestionario');
    const first = await maria.say('12 de marzo de 1984');
    expect(first.reply).toContain('¿Cuál es el motivo principal de su visita?');
    expect((await maria.say('dolor de espalda')).reply).toContain('¿Tiene alguna alergia');
    expect((await maria.say('ninguna')).reply).toContain('¿Qué medicamentos toma ahora?');
    expect((await maria.say('no tomo nada')).reply).toContain('enfermedades u operaciones');
    expect((await maria.say('saltar')).reply).toContain('su familia cercana');
    expect((await maria.say('madre tiene diabetes')).reply).toContain('¿Fuma o usa tabaco?');
    expect((await maria.say('nunca')).reply).toContain('su cuestionario se envió a la clínica');
  });
});

describe('before either engine: carrier keywords, a person, files', () => {
  it('opts out on PARAR (SMS) and BAJA (WhatsApp), helps on AYUDA, and leaves CANCELAR to the appointments', async () => {
    const { clinic } = await openSpanishClinic();
    const sms = patientOn(harness, clinic, nextPhone(), 'sms');
    const stopped = await sms.say('PARAR');
    expect(stopped.reply).toBe('Se dio de baja de los mensajes de Clínica Harbor y no recibirá más. Responda START para suscribirse de nuevo.');
    expect(stopped.turn.outcome).toBe('opted_out');
    expect((await sms.say('hola')).reply).toBeNull();
    expect((await sms.say('START')).turn.outcome).toBe('opted_in');

    const help = await patientOn(harness, clinic, nextPhone(), 'sms').say('AYUDA');
    expect(help.reply).toContain('díganos qué necesita, por ejemplo "mis citas"');
    const cancelling = await patientOn(harness, clinic, nextPhone(), 'sms').say('¡Cancelar!');
    expect(cancelling.turn.outcome).toBe('replied');
    expect(cancelling.reply).toContain('¿cuál es su fecha de nacimiento?');

    const whatsapp = await patientOn(harness, clinic, nextPhone()).say('baja');
    expect(whatsapp.turn.outcome).toBe('opted_out');
  });

  it('hands over to a person asked for in Spanish, saying so in Spanish', async () => {
    const { clinic } = await openSpanishClinic();
    const handedOff = await patientOn(harness, clinic, nextPhone()).say('Quiero hablar con una persona');
    expect(handedOff.turn.outcome).toBe('handed_off');
    expect(handedOff.reply).toBe('Pasé su mensaje a nuestro equipo de Clínica Harbor. Alguien le responderá por aquí lo antes posible. En una emergencia, llame al 911.');
  });

  it('says in the conversation’s language that a photo arrived', async () => {
    const { clinic, patient } = await openSpanishClinic();
    const maria = patientOn(harness, clinic, patient.phone);
    await maria.say('buenos días');
    const photo = { url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', contentType: 'image/jpeg' };
    expect((await maria.say('', [photo])).reply).toBe('Gracias, recibimos su foto. Un miembro de nuestro equipo la revisará y le responderá por aquí.');
    expect((await maria.say('', [photo, photo])).reply).toBe('Gracias, recibimos sus fotos. Un miembro de nuestro equipo las revisará y le responderá por aquí.');
  });
});

describe('the model is told the patient’s language', () => {
  it('by name, from the message, else the preferred language', async () => {
    const scripted = scriptedModel([text('¡Hola! ¿En qué le puedo ayudar?'), text('Hello again.')]);
    const withModel = await createHarness({ agentModel: scripted.agent });
    try {
      const clinic = await withModel.newTenant();
      const { patient } = await openClinic(withModel, clinic, { twilio: false });
      const writer = patientOn(withModel, clinic, patient.phone);
      expect((await writer.say('hola, buenas tardes')).reply).toBe('¡Hola! ¿En qué le puedo ayudar?');
      await writer.say('good afternoon');
      const systems = scripted.model.doGenerateCalls.map((call) => JSON.stringify(call.prompt[0]));
      expect(systems[0]).toContain('The patient’s language is Spanish');
      expect(systems[1]).toContain('The patient’s language is English');
    } finally {
      await withModel.close();
    }
  });
});

