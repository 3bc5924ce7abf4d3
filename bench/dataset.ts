/**
 * Data shapes shared by the sections: patients with distinct names and birth dates, weekly schedules,
 * a seeded random order, and bookings that never give a patient two overlapping appointments.
 */

const givenNames = ['Maria', 'James', 'Aisha', 'Tomás', 'Grace', 'Daniel', 'Sofia', 'Liam', 'Hannah', 'Noah', 'Yuki', 'Omar', 'Chloe', 'Ethan', 'Amara', 'Lucas', 'Priya', 'Samuel', 'Isabella', 'Benjamin', 'Elena', 'Mateo', 'Zara', 'Felix', 'Ines', 'Kofi', 'Leila', 'Marco', 'Nadia', 'Oscar', 'Paula', 'Ravi', 'Sara', 'Theo', 'Uma', 'Victor', 'Wen', 'Ximena', 'Yusuf', 'Zoe'];
export const familyNames = ['Gonzalez', 'Whitaker', 'Bello', 'Herrera', 'Kim', 'Okafor', 'Rossi', 'O’Brien', 'Schmidt', 'Cohen', 'Tanaka', 'Haddad', 'Martin', 'Brooks', 'Nwosu', 'Silva', 'Das', 'Fischer', 'Moreau', 'Adler', 'Novak', 'Larsen', 'Petrov', 'Quinn', 'Ramos', 'Sato', 'Taylor', 'Umar', 'Varga', 'Wagner'];

/** The `index`th bench patient: name and birth date distinct from every other index below 1,200. */
export function patientInput(index: number): Record<string, unknown> {
  const birth = new Date(Date.UTC(1945, 0, 1) + index * 23 * 86_400_000);
  return {
    givenName: givenNames[index % givenNames.length],
    familyName: familyNames[Math.floor(index / givenNames.length) % familyNames.length],
    dateOfBirth: birth.toISOString().slice(0, 10),
    sex: index % 2 === 0 ? 'female' : 'male',
    allowDuplicate: true,
  };
}

export type WeeklyWindow = { weekday: number; startTime: string; endTime: string; slotMinutes: number };

/** The same window on each of `weekdays` (1 = Monday ... 7 = Sunday). */
export const windows = (weekdays: number[], startTime: string, endTime: string, slotMinutes: number): WeeklyWindow[] =>
  weekdays.map((weekday) => ({ weekday, startTime, endTime, slotMinutes }));

/** A small seeded generator (mulberry32): the same run order every time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const result = [...items];
  for (let index = result.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [result[index], result[other]] = [result[other], result[index]];
  }
  return result;
}

export type TimedSlot = { practitionerId: string; startMs: number; endMs: number };

/**
 * A patient for each slot such that no patient has two overlapping slots: slots in start order, each
 * to the next patient (round robin) who is free by then. Throws if the patients are too few.
 */
export function assignPatients<S extends TimedSlot>(slots: S[], patientIds: string[]): (S & { patientId: string })[] {
  const busyUntil = new Array<number>(patientIds.length).fill(0);
  let cursor = 0;
  return [...slots]
    .sort((a, b) => a.startMs - b.startMs)
    .map((slot) => {
      for (let tried = 0; tried < patientIds.length; tried++) {
        const index = (cursor + tried) % patientIds.length;
        if (busyUntil[index] <= slot.startMs) {
          busyUntil[index] = slot.endMs;
          cursor = index + 1;
          return { ...slot, patientId: patientIds[index] };
        }
      }
      throw new Error(`${patientIds.length} patients are too few: all are busy at ${new Date(slot.startMs).toISOString()}`);
    });
}
