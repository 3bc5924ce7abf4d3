import { isValidPhoneNumber } from 'libphonenumber-js';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { recordEvent } from '../../events.js';
import { Patient } from '../patients/entities.js';
import { duplicateCandidates } from '../patients/ops/duplicates.js';
import { createPatient } from '../patients/service.js';
import { CreatePatientInput } from '../patients/schema.js';
import { clinicProfile } from './clinic.js';
import type { Conversation } from './entities.js';
import { requireConversation } from './lookup.js';
import type { RegisterPatientInput, VerifyIdentityInput } from './schema.js';
import { isVerified } from './views.js';

const MAX_FAILURES = 5;
const LOCKOUT_MS = 30 * 60_000;

type VerificationState = { failures: number; lockedUntil: string | null };

const verificationState = (conversation: Conversation): VerificationState => {
  const saved = conversation.state.verification as Partial<VerificationState> | undefined;
  return { failures: saved?.failures ?? 0, lockedUntil: saved?.lockedUntil ?? null };
};

/** Links the conversation to the patient, verified for the configured number of hours. */
export function linkVerified(ctx: AppContext, conversation: Conversation, patientId: string): void {
  const now = ctx.clock.now();
  conversation.patientId = patientId;
  conversation.verifiedUntil = new Date(now.getTime() + ctx.services.config.agent.verificationHours * 3_600_000);
  conversation.state = { ...conversation.state, verification: { failures: 0, lockedUntil: null } };
  conversation.updatedAt = now;
  recordEvent(ctx, { type: 'conversation.verified', entityType: 'conversation', entityId: conversation.id, payload: { patientId, by: ctx.actor.kind } });
}

const sameName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'base' }) === 0;

/**
 * Checks who is writing: the patient whose record has this conversation's phone number and the date of
 * birth given (and the family name, when the clinic asks for it or the number is shared). A match
 * verifies the conversation; five misses lock it for 30 minutes. Says nothing about who else exists.
 */
export async function verifyIdentity(ctx: AppContext, input: z.output<typeof VerifyIdentityInput>) {
  const conversation = await requireConversation(ctx, input.conversationId, { lock: true });
  const now = ctx.clock.now();
  const state = verificationState(conversation);
  if (state.lockedUntil && new Date(state.lockedUntil) > now) {
    return { verified: false, outcome: 'locked' as const, givenName: null, message: 'Too many attempts. Please try again in 30 minutes, or reply AGENT to talk to our team.' };
  }
  const profile = await clinicProfile(ctx.em, ctx.tenant.id);
  const candidates = await ctx.em.find(Patient, { phone: conversation.contact, dateOfBirth: input.dateOfBirth, status: 'active' });
  const needsName = profile.verification === 'date_of_birth_and_family_name' || candidates.length > 1;
  if (needsName && !input.familyName) {
    return { verified: false, outcome: 'needs_family_name' as const, givenName: null, message: 'Thanks. To be sure it is you, what is your family name (last name)?' };
  }
  const matches = input.familyName ? candidates.filter((patient) => sameName(patient.familyName, input.familyName ?? '')) : candidates;
  if (matches.length === 1) {
    linkVerified(ctx, conversation, matches[0].id);
    return { verified: true, outcome: 'verified' as const, givenName: matches[0].preferredName ?? matches[0].givenName, message: `Thank you, ${matches[0].preferredName ?? matches[0].givenName}, you are verified.` };
  }
  const failures = state.failures + 1;
  const locked = failures >= MAX_FAILURES;
  conversation.state = {
    ...conversation.state,
    verification: { failures: locked ? 0 : failures, lockedUntil: locked ? new Date(now.getTime() + LOCKOUT_MS).toISOString() : null },
  };
  recordEvent(ctx, { type: 'conversation.verification_failed', entityType: 'conversation', entityId: conversation.id, payload: { failures } });
  return {
    verified: false,
    outcome: locked ? ('locked' as const) : ('mismatch' as const),
    givenName: null,
    message: locked
      ? 'Those details do not match our records. For your security, please try again in 30 minutes, or reply AGENT to talk to our team.'
      : 'Those details do not match our records for this number. Please check the date of birth (for example 1984-03-12), or reply NEW to register, or AGENT for a person.',
  };
}

/**
 * Registers the person writing as a new patient with this conversation's number, and verifies the
 * conversation. When someone like them is already on file it registers nobody and asks them to
 * verify instead, without telling who was found.
 */
export async function registerPatient(ctx: AppContext, input: z.output<typeof RegisterPatientInput>) {
  const conversation = await requireConversation(ctx, input.conversationId, { lock: true });
  if (isVerified(conversation, ctx.clock.now())) {
    return { registered: false, message: 'You are already verified with us; there is nothing to register.' };
  }
  const phone = isValidPhoneNumber(conversation.contact) ? conversation.contact : null;
  const probe = { givenName: input.givenName, familyName: input.familyName, dateOfBirth: input.dateOfBirth, phone, identifiers: [] };
  if ((await duplicateCandidates(ctx, probe)).length > 0) {
    return { registered: false, message: 'It looks like you may already be registered with us. Please verify with your date of birth instead, or reply AGENT to talk to our team.' };
  }
  const patient = await createPatient(
    ctx,
    CreatePatientInput.parse({ givenName: input.givenName, familyName: input.familyName, dateOfBirth: input.dateOfBirth, ...(phone ? { phone } : {}), preferredChannel: conversation.channel }),
  );
  linkVerified(ctx, conversation, patient.id);
  return { registered: true, message: `Welcome, ${input.givenName}! You are registered with us.` };
}
