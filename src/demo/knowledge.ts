/** The demo clinic's knowledge articles: what `search_knowledge` finds for the agent. */
export const demoKnowledge: { title: string; tags: string[]; text: string }[] = [
  {
    title: 'Opening hours',
    tags: ['hours'],
    text:
      'Harbor Family Clinic is open Monday to Friday from 8:00 to 18:00 and on Saturday from 9:00 to 13:00. ' +
      'We are closed on Sundays and public holidays. The phone line opens at 7:45 on weekdays. ' +
      'Walk-in vaccinations are available on Tuesday and Thursday afternoons.',
  },
  {
    title: 'Parking and getting here',
    tags: ['directions', 'parking'],
    text:
      'The clinic is at 120 Harbor Street, Brooklyn. Free parking for patients is in the garage behind the building, entrance on Pine Street: ' +
      'bring your parking ticket to the front desk to have it validated. The F train stops at York Street, a five-minute walk away. ' +
      'The entrance and the lifts are step-free; wheelchairs are available at reception.',
  },
  {
    title: 'Cancellation policy',
    tags: ['policy', 'appointments'],
    text:
      'Please cancel or reschedule at least 24 hours before your appointment, by message, by phone or online. ' +
      'Appointments missed without notice, or cancelled less than 24 hours ahead, may be charged a fee of 40 dollars. ' +
      'If you are running late, call us: after 15 minutes we may need to move your visit to another time.',
  },
  {
    title: 'What to bring to your visit',
    tags: ['preparation'],
    text:
      'Bring your insurance card, a photo ID and a list of the medicines you take, with their doses. ' +
      'On your first visit, arrive 15 minutes early to fill in the registration and medical history forms. ' +
      'Bring any recent test results or letters from other doctors. Children need their vaccination record.',
  },
];
