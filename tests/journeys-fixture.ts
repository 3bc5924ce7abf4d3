import type { TestTenant } from './support/harness.js';
import { API } from './support/clinic-fixture.js';
import { publishTemplate } from './support/notification-fixture.js';

/** Helpers for the journeys tests: templates the demo-like journey sends, and its definition. */

export const JOURNEYS = `${API}/journeys`;

/** SMS templates the knee journey sends, published. */
export async function kneeTemplates(clinic: TestTenant): Promise<void> {
  for (const [name, body] of [
    ['knee-prep', 'Hi {{ patient.givenName }}, how to prepare for your knee consult: no food after midnight.'],
    ['knee-reminder', 'Your knee consult is on {{ appointment.startLocal }}. Please fill in the intake form.'],
    ['knee-survey', 'How is your knee, {{ patient.givenName }}? Reply 1-5.'],
  ]) {
    await publishTemplate(clinic, { name, channel: 'sms', body });
  }
}

type Way = { to: string; on?: { event: string; where?: Record<string, unknown> }; after?: { delay: string; from?: string } };
type StageDefinition = { key: string; name: string; actions?: { tool: string; input: Record<string, unknown> }[]; next?: Way[] };
export type Definition = { trigger: { kind: string; event?: string; where?: Record<string, unknown> }; channel?: string; role?: string; reenrol?: boolean; stages: StageDefinition[] };

/** Booked with reason knee-consult: instructions now, a reminder 48 h before, a survey 3 days after the visit, a nurse ticket if no answer in a week. */
export const kneeDefinition = (): Definition => ({
  trigger: { kind: 'event', event: 'appointment.booked', where: { 'appointment.reason': 'knee-consult' } },
  channel: 'sms',
  stages: [
    {
      key: 'prepare',
      name: 'Preparation instructions',
      actions: [{ tool: 'send_notification', input: { channel: 'sms', purpose: 'care_messages', template: { name: 'knee-prep' } } }],
      next: [{ to: 'remind', after: { delay: '-48h', from: 'appointment' } }],
    },
    {
      key: 'remind',
      name: 'Reminder with the intake form',
      actions: [{ tool: 'send_notification', input: { channel: 'sms', purpose: 'care_messages', template: { name: 'knee-reminder' } } }],
      next: [{ to: 'visit', on: { event: 'appointment.completed' } }],
    },
    { key: 'visit', name: 'After the visit', next: [{ to: 'survey', after: { delay: '3d' } }] },
    {
      key: 'survey',
      name: 'Follow-up survey',
      actions: [{ tool: 'send_notification', input: { channel: 'sms', purpose: 'care_messages', template: { name: 'knee-survey' } } }],
      next: [
        { to: 'done', on: { event: 'communication.created', where: { direction: 'inbound' } } },
        { to: 'nurse', after: { delay: '7d' } },
      ],
    },
    { key: 'nurse', name: 'Nurse follow-up', actions: [{ tool: 'create_ticket', input: { subject: 'Knee follow-up: no answer to the survey', category: 'clinical', priority: 'high' } }] },
    { key: 'done', name: 'Answered' },
  ],
});

/** A journey created and published; returns its id. */
export async function publishJourney(clinic: TestTenant, name: string, definition: Definition): Promise<string> {
  const journey = await clinic.call<{ id: string }>('POST', JOURNEYS, { name, definition });
  await clinic.call('POST', `${JOURNEYS}/${journey.id}/publish`);
  return journey.id;
}

export type InstanceBody = {
  id: string;
  status: string;
  currentStage: string | null;
  version: number;
  appointmentId: string | null;
  endReason: string | null;
  stages: { stage: string; status: string; startedAt: string; endedAt: string | null }[];
  timeline: { kind: string; stage: string | null; summary: string; toolRunId: string | null; eventId: string | null; detail: Record<string, unknown> }[];
};

export const getInstance = (clinic: TestTenant, id: string) => clinic.call<InstanceBody>('GET', `${JOURNEYS}/instances/${id}`);

/** The clinic's instances of a journey. */
export async function instancesOf(clinic: TestTenant, journeyId: string): Promise<InstanceBody[]> {
  return (await clinic.call<{ items: InstanceBody[] }>('GET', `${JOURNEYS}/instances?journeyId=${journeyId}&limit=200`)).items;
}
