import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { after, decodeCursor, instantRange, page } from '../../db/pagination.js';
import { AppError, unprocessable } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { requireAppointment } from '../appointments/appointments.js';
import { requireActivePatient } from '../patients/lookup.js';
import { hasConsent } from '../patients/service.js';
import { IntakeRecord, IntakeSession, IntakeSummary, intakeChannels, type IntakeChannel } from './entities.js';
import type { CreateSessionInput, ListSessionsInput, SessionView } from './schema.js';
import { requireSession } from './session-lookup.js';
import { recordView, sessionView, summaryView } from './views.js';

/** The consent purpose a session opened by staff needs (see README, "Clinical intake"). */
const INTAKE_CONSENT_PURPOSE = 'care_messages';

const unprocessableField = (path: string, message: string) => new AppError('unprocessable', message, { issues: [{ path, message }] });

/** The channel of the caller's conversation, when it is one a patient answers an intake on. */
const conversationChannel = (ctx: AppContext): IntakeChannel | undefined => intakeChannels.find((channel) => channel === ctx.channel);

/**
 * Refuses an appointment of another clinic (404), of another patient (in a patient conversation 404,
 * so its existence does not leak; for staff 422 naming it), or one that will not happen.
 */
async function requireIntakeAppointment(ctx: AppContext, appointmentId: string, patientId: string): Promise<void> {
  const appointment = await requireAppointment(ctx, appointmentId, ctx.subject ? patientId : undefined);
  if (appointment.patientId !== patientId) throw unprocessableField('appointmentId', `Appointment ${appointmentId} is another patient’s.`);
  if (appointment.status === 'cancelled' || appointment.status === 'no_show') {
    throw unprocessableField('appointmentId', `Appointment ${appointmentId} is ${appointment.status}: an intake prepares a visit that will happen.`);
  }
}

/**
 * Opens an intake for a patient, optionally for one of their appointments. Outside a patient
 * conversation (staff, MCP) the patient must have granted `care_messages` on the session's channel or
 * on `all` (on `all` for a form, which has no channel); in a conversation the runner has already bound
 * the verified patient, who is the one answering.
 */
export async function createSession(ctx: AppContext, input: z.output<typeof CreateSessionInput>): Promise<SessionView> {
  const patient = await requireActivePatient(ctx, input.patientId);
  if (input.appointmentId) await requireIntakeAppointment(ctx, input.appointmentId, patient.id);
  const channel = input.channel ?? conversationChannel(ctx) ?? null;
  if (!ctx.subject && !(await hasConsent(ctx, { patientId: patient.id, channel: channel ?? 'all', purpose: INTAKE_CONSENT_PURPOSE }))) {
    throw unprocessableField(
      'patientId',
      `Patient ${patient.id} has not granted ${INTAKE_CONSENT_PURPOSE} consent on ${channel ?? 'all'}${channel ? ' or all' : ''} channels: record it first (POST /patients/{id}/consents).`,
    );
  }
  const now = ctx.clock.now();
  const session = ctx.em.create(IntakeSession, {
    id: newId(),
    tenantId: ctx.tenant.id,
    patientId: patient.id,
    appointmentId: input.appointmentId ?? null,
    conversationId: ctx.conversationId ?? null,
    channel,
    status: 'open',
    rev: 0,
    recordCount: 0,
    createdByKind: ctx.actor.kind,
    createdById: ctx.actor.id,
    submittedAt: null,
    reviewedAt: null,
    reviewedById: null,
    createdAt: now,
    updatedAt: now,
  });
  recordEvent(ctx, {
    type: 'intake.session_created',
    entityType: 'intake_session',
    entityId: session.id,
    payload: { patientId: patient.id, ...(session.appointmentId ? { appointmentId: session.appointmentId } : {}) },
  });
  return sessionView(session);
}

/** A session with its records (oldest first) and its summary (null until submitted). */
export async function getSession(ctx: AppContext, input: { id: string; patientId?: string }) {
  const session = await requireSession(ctx, input.id, { patientId: input.patientId });
  const records = await ctx.em.find(IntakeRecord, { sessionId: session.id }, { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const summary = await ctx.em.findOne(IntakeSummary, { sessionId: session.id });
  return { ...sessionView(session), records: records.map(recordView), summary: summary ? summaryView(summary) : null };
}

/** Sessions, newest first, filtered by patient, status, appointment and creation time; keyset-paginated. */
export async function listSessions(ctx: AppContext, input: z.output<typeof ListSessionsInput>) {
  const created = instantRange(input.createdSince, input.createdUntil);
  const rows = await ctx.em.find(
    IntakeSession,
    {
      ...(input.patientId ? { patientId: input.patientId } : {}),
      ...(input.status ? { status: { $in: input.status } } : {}),
      ...(input.appointmentId ? { appointmentId: input.appointmentId } : {}),
      ...(created ? { createdAt: created } : {}),
      ...after('createdAt', decodeCursor(input.cursor)),
    },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  return page(rows, input.limit, (session) => ({ at: session.createdAt, id: session.id }), sessionView);
}

/** The session's summary; 422 while the session is open (it has none yet). */
export async function getSummary(ctx: AppContext, id: string) {
  const session = await requireSession(ctx, id);
  const summary = await ctx.em.findOne(IntakeSummary, { sessionId: session.id });
  if (!summary) throw unprocessable(`Intake session ${id} is open: its summary is written once it is submitted.`, { status: session.status });
  return { ...summaryView(summary), sessionRev: session.rev };
}
