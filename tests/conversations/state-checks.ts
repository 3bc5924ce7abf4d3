import { isDeepStrictEqual } from 'node:util';
import { API } from '../support/clinic-fixture.js';
import type { TestTenant } from '../support/harness.js';
import type { StateCheck } from './case-format.js';
import { keyOf, type References } from './references.js';

type Appointment = { startAt: string; startLocal: string; status: string; practitionerId: string };
type Conversation = { id: string; patientId: string | null; verified: boolean; handledBy: string; optedOut: boolean };
type Ticket = { category: string; priority: string; status: string };
type Patient = { givenName: string; familyName: string; dateOfBirth: string };

const show = (value: unknown) => JSON.stringify(value);

/** Whether every expected item matches its own actual item (the fields it gives), in any order. */
function sameItems<Item extends Record<string, unknown>>(actual: Item[], expected: Partial<Item>[]): boolean {
  const unused = [...actual];
  return (
    actual.length === expected.length &&
    expected.every((want) => {
      const index = unused.findIndex((item) => Object.entries(want).every(([key, value]) => isDeepStrictEqual(item[key], value)));
      if (index >= 0) unused.splice(index, 1);
      return index >= 0;
    })
  );
}

/**
 * The state after a turn, read back through the REST API as staff would see it: appointments,
 * the conversation (verified as whom, handled by whom, opted out), its tickets, the patients on the number.
 */
export async function checkState(state: StateCheck, context: { clinic: TestTenant; references: References; channel: string; contact: string }): Promise<string[]> {
  const { clinic, references } = context;
  const failures: string[] = [];

  for (const [patientKey, expected] of Object.entries(state.appointments ?? {})) {
    const patientId = references.patient.get(patientKey);
    if (!patientId) {
      failures.push(`state.appointments names patient "${patientKey}", whom the clinic does not have`);
      continue;
    }
    const page = await clinic.call<{ items: Appointment[] }>('GET', `${API}/appointments?patientId=${patientId}&limit=200`);
    const actual = page.items
      .sort((a, b) => a.startAt.localeCompare(b.startAt))
      .map((appointment) => ({ at: appointment.startLocal.slice(0, 16), status: appointment.status, with: keyOf(references, 'practitioner', appointment.practitionerId) }));
    const matches = actual.length === expected.length && expected.every((want, index) => Object.entries(want).every(([key, value]) => isDeepStrictEqual(actual[index][key as keyof (typeof actual)[number]], value)));
    if (!matches) failures.push(`${patientKey}'s appointments are ${show(actual)}; expected ${show(expected)}`);
  }

  const conversationChecked = state.verified !== undefined || state.verified_as !== undefined || state.handled_by !== undefined || state.opted_out !== undefined || state.tickets !== undefined;
  if (conversationChecked) {
    const page = await clinic.call<{ items: Conversation[] }>('GET', `${API}/conversations?contact=${encodeURIComponent(context.contact)}&channel=${context.channel}`);
    const conversation = page.items[0];
    if (!conversation) return [...failures, `there is no ${context.channel} conversation with ${context.contact}`];
    const verifiedAs = conversation.verified && conversation.patientId ? (keyOf(references, 'patient', conversation.patientId) ?? conversation.patientId) : null;
    if (state.verified !== undefined && conversation.verified !== state.verified) failures.push(`the conversation is ${conversation.verified ? '' : 'not '}verified; expected the opposite`);
    if (state.verified_as !== undefined && verifiedAs !== state.verified_as) failures.push(`the conversation is verified as ${show(verifiedAs)}; expected ${show(state.verified_as)}`);
    if (state.handled_by !== undefined && conversation.handledBy !== state.handled_by) failures.push(`the conversation is handled by ${conversation.handledBy}; expected ${state.handled_by}`);
    if (state.opted_out !== undefined && conversation.optedOut !== state.opted_out) failures.push(`the conversation is ${conversation.optedOut ? '' : 'not '}opted out; expected the opposite`);
    if (state.tickets !== undefined) {
      const tickets = (await clinic.call<{ items: Ticket[] }>('GET', `${API}/tickets?conversationId=${conversation.id}&limit=200`)).items;
      const actual = tickets.map(({ category, priority, status }) => ({ category, priority, status }));
      if (!sameItems(actual, state.tickets)) failures.push(`the conversation's tickets are ${show(actual)}; expected ${show(state.tickets)}`);
    }
  }

  if (state.patients_on_number !== undefined) {
    const patients = (await clinic.call<{ items: Patient[] }>('GET', `${API}/patients?phone=${encodeURIComponent(context.contact)}&limit=200`)).items;
    const actual = patients.map((patient) => ({ given_name: patient.givenName, family_name: patient.familyName, date_of_birth: patient.dateOfBirth }));
    if (!sameItems(actual, state.patients_on_number)) failures.push(`the patients on ${context.contact} are ${show(actual)}; expected ${show(state.patients_on_number)}`);
  }
  return failures;
}
