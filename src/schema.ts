import { z } from 'zod';

/** Shapes shared across modules. */
export const Id = z.uuid();
/** An instant in output: ISO 8601 with offset. */
export const Timestamp = z.iso.datetime({ offset: true });
/** An instant in input: ISO 8601 with an offset, or without one to mean the clinic's local time. */
export const TimestampInput = z.iso.datetime({ offset: true, local: true });
/** A calendar date, YYYY-MM-DD. */
export const DateOnly = z.iso.date();

export const toIso = (date: Date): string => date.toISOString();
export const toIsoOrNull = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);
