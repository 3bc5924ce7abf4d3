import { DateTime } from 'luxon';
import { z } from 'zod';

/** Shapes shared across modules. */
export const Id = z.uuid();
/** An instant in output: ISO 8601 with offset. */
export const Timestamp = z.iso.datetime({ offset: true });
/**
 * An instant in input: ISO 8601 with an offset (`Z`, `+05:30`), or without one to mean the clinic's
 * local time. Seconds are optional either way.
 */
export const TimestampInput = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/, {
    message: 'Expected an ISO 8601 date-time such as 2026-12-01T09:30 (clinic time) or 2026-12-01T14:30:00Z.',
    abort: true,
  })
  .refine((text) => DateTime.fromISO(text, { setZone: true }).isValid, { message: 'Not a real date and time.' });
/** A calendar date, YYYY-MM-DD. */
export const DateOnly = z.iso.date();

export const toIso = (date: Date): string => date.toISOString();
export const toIsoOrNull = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);
