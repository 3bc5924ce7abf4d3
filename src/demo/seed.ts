import { DateTime } from 'luxon';
import type { Caller, Services, TenantInfo } from '../context.js';
import { runOperation } from '../tools/runner.js';
import { seedDemoJourney } from './journey.js';
import { demoKnowledge } from './knowledge.js';

export const demoClinic = {
  slug: 'demo',
  name: 'Harbor Family Clinic',
  timeZone: 'America/New_York',
  defaultCountry: 'US',
  profile: {
    address: '120 Harbor Street, Brooklyn, NY 11201',
    phone: '+12125550100',
    hours: 'Monday to Friday 8:00-18:00, Saturday 9:00-13:00',
    policies: 'Please cancel at least 24 hours ahead. Bring your insurance card and a photo ID.',
  },
};

const weekdays = (days: number[], startTime: string, endTime: string, slotMinutes: number) =>
  days.map((weekday) => ({ weekday, startTime, endTime, slotMinutes }));

const practitioners = [
  {
    name: 'Dr. Amelia Hart',
    specialty: 'family medicine',
    hours: [...weekdays([1, 2, 3, 4, 5], '09:00', '12:00', 30), ...weekdays([1, 2, 3, 4, 5], '13:00', '17:00', 30)],
  },
  { name: 'Dr. Rafael Ortiz', specialty: 'pediatrics', hours: weekdays([1, 3, 5], '08:00', '14:00', 20) },
  { name: 'Priya Nair, NP', specialty: 'nurse practitioner', hours: [...weekdays([2, 4], '10:00', '18:00', 30), ...weekdays([6], '09:00', '13:00', 30)] },
];

const patients: [string, string, string, 'female' | 'male'][] = [
  ['Maria', 'Gonzalez', '1984-03-12', 'female'],
  ['James', 'Whitaker', '1979-11-02', 'male'],
  ['Aisha', 'Bello', '1992-06-25', 'female'],
  ['Tomás', 'Herrera', '1967-01-30', 'male'],
  ['Grace', 'Kim', '2001-09-14', 'female'],
  ['Daniel', 'Okafor', '1988-12-05', 'male'],
  ['Sofia', 'Rossi', '1995-04-18', 'female'],
  ['Liam', 'O’Brien', '2015-07-22', 'male'],
  ['Hannah', 'Schmidt', '1973-02-09', 'female'],
  ['Noah', 'Cohen', '2018-10-11', 'male'],
  ['Yuki', 'Tanaka', '1990-08-03', 'female'],
  ['Omar', 'Haddad', '1982-05-27', 'male'],
  ['Chloe', 'Martin', '1999-01-16', 'female'],
  ['Ethan', 'Brooks', '1958-06-08', 'male'],
  ['Amara', 'Nwosu', '2012-03-29', 'female'],
  ['Lucas', 'Silva', '1986-09-19', 'male'],
  ['Priyanka', 'Das', '1977-12-24', 'female'],
  ['Samuel', 'Fischer', '1969-04-04', 'male'],
  ['Isabella', 'Moreau', '2003-11-30', 'female'],
  ['Benjamin', 'Adler', '1948-02-17', 'male'],
];

/**
 * Fills the demo clinic through the operations themselves, as the `system` actor. Each call carries
 * an idempotency key, so a seed cut short by a crash resumes where it stopped and never doubles.
 */
export async function seedDemoData(services: Services, tenant: TenantInfo): Promise<void> {
  const caller: Caller = { tenant, actor: { kind: 'system', id: 'seed', role: 'system' }, channel: 'cli' };
  const run = async <Output = Record<string, unknown>>(key: string, tool: string, input: Record<string, unknown>): Promise<Output> => {
    const outcome = await runOperation(services, caller, { tool, input, idempotencyKey: `demo-seed:${key}` });
    if (!outcome.ok) throw new Error(`Seeding ${tool} (${key}) failed: ${outcome.error.message}`);
    return outcome.output as Output;
  };

  const location = await run<{ id: string }>('location', 'create_location', { name: 'Harbor Street', address: demoClinic.profile.address, phone: demoClinic.profile.phone });
  const practitionerIds: string[] = [];
  for (const [index, practitioner] of practitioners.entries()) {
    const created = await run<{ id: string }>(`practitioner:${index}`, 'create_practitioner', { name: practitioner.name, specialty: practitioner.specialty });
    await run(`schedule:${index}`, 'set_weekly_schedule', { id: created.id, rules: practitioner.hours.map((rule) => ({ ...rule, locationId: location.id })) });
    practitionerIds.push(created.id);
  }

  const patientIds: string[] = [];
  for (const [index, [givenName, familyName, dateOfBirth, sex]] of patients.entries()) {
    const phone = `+1212555${String(101 + index).padStart(4, '0')}`;
    const email = `${givenName}.${familyName}`.toLowerCase().normalize('NFD').replace(/[^a-z.]/g, '') + '@example.com';
    const patient = await run<{ id: string }>(`patient:${index}`, 'create_patient', { givenName, familyName, dateOfBirth, sex, phone, email, preferredChannel: 'whatsapp' });
    if (index % 2 === 0) await run(`consent:${index}`, 'grant_consent', { patientId: patient.id, channel: 'whatsapp', purpose: 'appointment_reminders' });
    if (index % 2 === 0) await run(`care-consent:${index}`, 'grant_consent', { patientId: patient.id, channel: 'sms', purpose: 'care_messages' });
    patientIds.push(patient.id);
  }

  // Before the appointments, so each booking enrols its patient on the care journey.
  await seedDemoJourney(run);

  // Appointments in the coming two weeks, from the schedules just set.
  const tomorrow = DateTime.fromJSDate(services.clock.now(), { zone: tenant.timeZone }).plus({ days: 1 }).toISODate();
  const inTwoWeeks = DateTime.fromJSDate(services.clock.now(), { zone: tenant.timeZone }).plus({ days: 14 }).toISODate();
  const slots = await runOperation(services, caller, { tool: 'search_slots', input: { from: tomorrow, to: inTwoWeeks, limit: 1000 } });
  const free = slots.ok ? (slots.output as { items: { practitionerId: string; startAt: string }[] }).items : [];
  const picks = [0, 7, 19, 33, 52, 80, 120].map((index) => free[index]).filter((slot) => slot !== undefined);
  for (const [index, slot] of picks.entries()) {
    const appointment = await run<{ id: string }>(`appointment:${index}:${slot.startAt}`, 'book_appointment', {
      patientId: patientIds[index],
      practitionerId: slot.practitionerId,
      startAt: slot.startAt,
      reason: ['Annual check-up', 'Follow-up visit', 'Vaccination', 'Sore throat', 'Blood pressure review', 'Skin rash', 'Sports physical'][index],
    });
    if (index < 3) await run(`confirm:${index}:${slot.startAt}`, 'confirm_appointment', { id: appointment.id });
  }

  await run('ticket:0', 'create_ticket', { subject: 'Question about lab results', priority: 'normal', category: 'clinical', patientId: patientIds[3] });
  await run('ticket:1', 'create_ticket', { subject: 'Insurance card update', priority: 'low', category: 'billing', patientId: patientIds[5] });
  await run('ticket:2', 'create_ticket', { subject: 'Prescription refill request', priority: 'high', category: 'clinical', patientId: patientIds[9], assignee: 'front.desk@harbor.example' });

  for (const [index, article] of demoKnowledge.entries()) await run(`knowledge:${index}`, 'ingest_knowledge', article);
}
