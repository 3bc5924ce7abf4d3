import { LockMode } from '@mikro-orm/core';
import { isValidPhoneNumber } from 'libphonenumber-js';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { Patient } from '../patients/entities.js';
import { duplicateCandidates } from '../patients/ops/duplicates.js';
import { createPatient, lockRegistrationsBornOn } from '../patients/service.js';
import { CreatePatientInput } from '../patients/schema.js';
import { clinicProfile } from './clinic.js';
import { VerificationLockout, type Conversation } from './entities.js';
import { requireConversation } from './lookup.js';
import type { RegisterPatientInput, VerifyIdentityInput } from './schema.js';
import { historyFloor, isVerified } from './views.js';

const MAX_FAILURES = 5;
const LOCKOUT_MS = 30 * 60_000;

/**
 * The failed checks of the conversation's number at this clinic, across its channels, with the row
 * locked until the unit of work ends: concurrent attempts from WhatsApp, SMS and a call are counted
 * one after the other, none lost. The row is made on first use (two first uses meet on its key).
 */
async function lockedAttempts(ctx: AppContext, contact: string): Promise<VerificationLockout> {
  const now = ctx.clock.now();
  await ctx.em.upsert(
    VerificationLockout,
    { id: newId(), tenantId: ctx.tenant.id, contact, failures: 0, lockedUntil: null, createdAt: now, updatedAt: now },
    { onConflictFields: ['tenantId', 'contact'], onConflictAction: 'ignore', disableIdentityMap: true },
  );
  return ctx.em.findOneOrFail(VerificationLockout, { contact }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
}

/**
 * Links the conversation to the patient, verified for the configured number of hours. A number can be
 * shared (a family's phone): when someone other than the patient last verified here takes over, what
 * was written while that one was verified is left behind (see `historyFloor`). The same patient
 * verifying again reads on from where they were.
 */
export function linkVerified(ctx: AppContext, conversation: Conversation, patientId: string): void {
  const now = ctx.clock.now();
  if (conversation.patientId && conversation.patientId !== patientId) {
    conversation.historyFrom = isVerified(conversation, now) ? now : historyFloor(conversation, now);
  }
  conversation.patientId = patientId;
  conversation.verifiedUntil = new Date(now.getTime() + ctx.services.config.agent.verificationHours * 3_600_000);
  conversation.updatedAt = now;
  recordEvent(ctx, { type: 'conversation.verified', entityType: 'conversation', entityId: conversation.id, payload: { patientId, by: ctx.actor.kind } });
}

const sameName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'base' }) === 0;

/**
 * Checks who is writing: the patient whose record has this conversation's phone number and the date of
 * birth given (and the family name, when the clinic asks for it or the number is shared). A match
 * verifies the conversation; five misses in a row lock the number out for 30 minutes, on every
 * channel (its WhatsApp, SMS and voice conversations alike). Says nothing about who else exists.
 */
export async function verifyIdentity(ctx: AppContext, input: z.output<typeof VerifyIdentityInput>) {
  const conversation = await requireConversation(ctx, input.conversationId, { lock: true });
  const now = ctx.clock.now();
  const attempts = await lockedAttempts(ctx, conversation.contact);
  if (attempts.lockedUntil && attempts.lockedUntil > now) {
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
    ctx.em.assign(attempts, { failures: 0, lockedUntil: null, updatedAt: now });
    linkVerified(ctx, conversation, matches[0].id);
    return { verified: true, outcome: 'verified' as const, givenName: matches[0].preferredName ?? matches[0].givenName, message: `Thank you, ${matches[0].preferredName ?? matches[0].givenName}, you are verified.` };
  }
  const failures = attempts.failures + 1;
  const locked = failures >= MAX_FAILURES;
  ctx.em.assign(attempts, { failures: locked ? 0 : failures, lockedUntil: locked ? new Date(now.getTime() + LOCKOUT_MS) : null, updatedAt: now });
  recordEvent(ctx, { type: 'conversation.verification_failed', entityType: 'conversation', entityId: conversation.id, payload: { failures, locked } });
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
 * What every registration that does not find the conversation already verified answers, whoever is
 * on file: the answer must not tell a stranger whether a name and date of birth are known.
 */
const CONFIRM_TO_FINISH =
  'Thank you. To finish, please confirm your date of birth (for example 1984-03-12), so we can check it against our records for this number. If it cannot be matched, reply AGENT and our team will help.';

/**
 * Registers the person writing as a new patient with this conversation's number, unless someone like
 * them is on file already (the same date of birth with a close name, or with this number): then it
 * registers nobody, so no duplicate is made. Either way it answers the same and verifies nothing:
 * the person confirms their date of birth with verify_identity, which finds the new record, or the
 * existing one when it has this number (anyone on file under another number is told to ask staff).
 */
export async function registerPatient(ctx: AppContext, input: z.output<typeof RegisterPatientInput>) {
  const conversation = await requireConversation(ctx, input.conversationId, { lock: true });
  if (isVerified(conversation, ctx.clock.now())) {
    return { nextStep: 'none' as const, message: 'You are already verified with us; there is nothing to register.' };
  }
  const phone = isValidPhoneNumber(conversation.contact) ? conversation.contact : null;
  const probe = { givenName: input.givenName, familyName: input.familyName, dateOfBirth: input.dateOfBirth, phone, identifiers: [] };
  // Held until the commit, so a registration of the same person from another conversation waits and then finds this one.
  await lockRegistrationsBornOn(ctx, input.dateOfBirth);
  if ((await duplicateCandidates(ctx, probe)).length === 0) {
    await createPatient(
      ctx,
      CreatePatientInput.parse({ givenName: input.givenName, familyName: input.familyName, dateOfBirth: input.dateOfBirth, ...(phone ? { phone } : {}), preferredChannel: conversation.channel }),
    );
  }
  return { nextStep: 'verify_identity' as const, message: CONFIRM_TO_FINISH };
}
