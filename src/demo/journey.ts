/**
 * The demo clinic's care journey: for every booked visit, the preparation instructions at once, a
 * reminder a day before, and, once the visit is completed, a follow-up two days later. Its SMS
 * templates are made and published first (a journey refuses a template that is not).
 */

/** Runs one operation of the seed (idempotent by `key`); see seedDemoData. */
export type SeedRun = <Output = Record<string, unknown>>(key: string, tool: string, input: Record<string, unknown>) => Promise<Output>;

export const demoJourneyTemplates = [
  { name: 'visit-instructions', body: 'Hi {{ patient.givenName }}, your visit at {{ clinic.name }} is booked for {{ appointment.startLocal }}. Please bring your insurance card and a photo ID, and arrive 10 minutes early.' },
  { name: 'visit-reminder', body: 'Reminder: your visit with {{ appointment.practitionerName }} is tomorrow, {{ appointment.startLocal }}. Reply C to confirm.' },
  { name: 'visit-follow-up', body: 'Hi {{ patient.givenName }}, how are you feeling after your visit? Reply to this message if anything is unclear.' },
];

export const demoJourney = {
  name: 'Visit care',
  description: 'Pre-visit instructions, a reminder the day before, and a follow-up two days after the visit.',
  definition: {
    trigger: { kind: 'event', event: 'appointment.booked' },
    channel: 'sms',
    stages: [
      {
        key: 'prepare',
        name: 'Pre-visit instructions',
        actions: [{ tool: 'send_notification', input: { channel: 'sms', purpose: 'care_messages', template: { name: 'visit-instructions' } } }],
        next: [
          { to: 'remind', after: { delay: '-24h', from: 'appointment' } },
          { to: 'visited', on: { event: 'appointment.completed' } },
        ],
      },
      {
        key: 'remind',
        name: 'Reminder the day before',
        actions: [{ tool: 'send_notification', input: { channel: 'sms', purpose: 'care_messages', template: { name: 'visit-reminder' } } }],
        next: [{ to: 'visited', on: { event: 'appointment.completed' } }],
      },
      { key: 'visited', name: 'Visit completed', next: [{ to: 'follow-up', after: { delay: '2d' } }] },
      {
        key: 'follow-up',
        name: 'Post-visit follow-up',
        actions: [{ tool: 'send_notification', input: { channel: 'sms', purpose: 'care_messages', template: { name: 'visit-follow-up' } } }],
      },
    ],
  },
};

/** Makes the journey's templates and the journey, and publishes them. */
export async function seedDemoJourney(run: SeedRun): Promise<string> {
  for (const template of demoJourneyTemplates) {
    const created = await run<{ id: string }>(`template:${template.name}`, 'create_template', { ...template, channel: 'sms', locale: 'en' });
    await run(`template-publish:${template.name}`, 'publish_template', { id: created.id });
  }
  const journey = await run<{ id: string }>('journey:visit-care', 'create_journey', demoJourney);
  await run('journey-publish:visit-care', 'publish_journey', { id: journey.id });
  return journey.id;
}
