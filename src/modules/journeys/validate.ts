import type { AppContext } from '../../context.js';
import { AppError, type FieldIssue } from '../../errors.js';
import { isEventType } from '../../event-types.js';
import { MessageTemplate, MessageTemplateVersion } from '../templates/entities.js';
import { actionInput, type Bindings } from './bindings.js';
import { isJourneyEvent, JOURNEY_EVENT_FAMILIES } from './subscriptions.js';
import { delayMs, MAX_BEFORE_APPOINTMENT_MS, MAX_DELAY_MS, type EventMatch, type JourneyDefinition } from './definition.js';

/** The tools a journey's actions may call (and the runner lets a journey's caller call nothing else). */
export const JOURNEY_TOOLS = ['send_notification', 'create_ticket', 'add_ticket_note', 'update_ticket', 'create_intake_session', 'emit_journey_event'] as const;

const unknownEvent = (where: string, type: string) =>
  isEventType(type) ? `${where}: journeys do not react to ${type} (only ${JOURNEY_EVENT_FAMILIES.join(', ')})` : `${where}: unknown event type ${type}`;

const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';
const sampleBindings = (appointment: boolean): Bindings => ({ patientId: SAMPLE_ID, appointmentId: appointment ? SAMPLE_ID : null, instanceId: SAMPLE_ID, ticketId: SAMPLE_ID });

/**
 * Checks what the schema cannot: event types the service emits, tools the journey's role may call
 * with inputs they accept, templates that exist and are published, delays in range, every stage
 * reachable from the first, and no cycle a patient could go round without a delay. Throws 422
 * naming each stage and field; returns when the definition is sound.
 */
export async function validateDefinition(ctx: AppContext, definition: JourneyDefinition): Promise<void> {
  const issues: FieldIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path: `definition.${path}`, message });
  const checkEvent = (match: EventMatch, path: string, where: string) => {
    if (!isEventType(match.event) || !isJourneyEvent(match.event)) add(`${path}.event`, unknownEvent(where, match.event));
  };
  if (definition.trigger.kind === 'event') checkEvent(definition.trigger, 'trigger', 'trigger');
  definition.exits.forEach((exit, index) => checkEvent(exit, `exits.${index}`, 'exit'));

  const keys = new Map<string, number>();
  definition.stages.forEach((stage, index) => {
    if (keys.has(stage.key)) add(`stages.${index}.key`, `stage ${stage.key}: the key is used by stage ${keys.get(stage.key)} too`);
    else keys.set(stage.key, index);
  });
  const appointmentTrigger = definition.trigger.kind === 'event' && definition.trigger.event.startsWith('appointment.');

  for (const [index, stage] of definition.stages.entries()) {
    const at = (path: string, message: string) => add(`stages.${index}.${path}`, `stage ${stage.key}: ${message}`);
    for (const [actionIndex, action] of stage.actions.entries()) {
      const path = `actions.${actionIndex}`;
      const operation = ctx.services.registry.get(action.tool);
      if (!operation || !(JOURNEY_TOOLS as readonly string[]).includes(action.tool)) {
        at(`${path}.tool`, `${action.tool} is not a tool journeys may call (${JOURNEY_TOOLS.join(', ')})`);
        continue;
      }
      if (!(operation.access.roles as readonly string[]).includes(definition.role)) {
        at(`${path}.tool`, `the journey’s role (${definition.role}) may not call ${action.tool}`);
        continue;
      }
      const parsed = operation.input.safeParse(actionInput(operation, action.input, sampleBindings(appointmentTrigger)));
      if (!parsed.success) {
        for (const issue of parsed.error.issues) at([`${path}.input`, ...issue.path.map(String)].join('.'), issue.message);
        continue;
      }
      if (action.tool === 'send_notification') await checkTemplate(ctx, parsed.data as NotificationInput, (message) => at(`${path}.input.template.name`, message));
    }
    for (const [wayIndex, way] of stage.next.entries()) {
      const path = `next.${wayIndex}`;
      if (!keys.has(way.to)) at(`${path}.to`, `no stage is called ${way.to}`);
      if (way.on) {
        if (!isEventType(way.on.event) || !isJourneyEvent(way.on.event)) at(`${path}.on.event`, unknownEvent('way forward', way.on.event));
      }
      if (way.after) {
        const ms = delayMs(way.after.delay);
        if (ms < 0 && way.after.from !== 'appointment') at(`${path}.after.delay`, 'a negative delay counts back from an appointment only (from: appointment)');
        else if (ms < -MAX_BEFORE_APPOINTMENT_MS) at(`${path}.after.delay`, `at most 30 days before the appointment (${way.after.delay})`);
        else if (ms > MAX_DELAY_MS) at(`${path}.after.delay`, `at most 365 days (${way.after.delay})`);
      }
    }
  }
  if (issues.length === 0) graphIssues(definition, add);
  if (issues.length > 0) throw new AppError('unprocessable', `The journey cannot be saved: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { issues });
}

type NotificationInput = { channel: 'whatsapp' | 'sms' | 'email'; template?: { name: string; version?: number } };

/** A notification's template: it must exist on the channel and have a published version (the one named, if named). */
async function checkTemplate(ctx: AppContext, input: NotificationInput, report: (message: string) => void): Promise<void> {
  if (!input.template) return;
  const templates = await ctx.em.find(MessageTemplate, { name: input.template.name, channel: input.channel });
  if (templates.length === 0) return report(`no template ${input.template.name} on ${input.channel}`);
  const published = await ctx.em.count(MessageTemplateVersion, {
    templateId: { $in: templates.map((template) => template.id) },
    status: 'published',
    ...(input.template.version !== undefined ? { version: input.template.version } : {}),
  });
  if (published === 0) report(`template ${input.template.name} on ${input.channel} has no published version${input.template.version ? ` ${input.template.version}` : ''}`);
}

/** Every stage reachable from the first; no cycle made only of ways without a (positive) delay. */
function graphIssues(definition: JourneyDefinition, add: (path: string, message: string) => void): void {
  const index = new Map(definition.stages.map((stage, position) => [stage.key, position]));
  const reached = new Set<string>([definition.stages[0].key]);
  const queue = [definition.stages[0].key];
  while (queue.length > 0) {
    const stage = definition.stages[index.get(queue.shift()!)!];
    for (const way of stage.next) if (!reached.has(way.to)) reached.add(way.to) && queue.push(way.to);
  }
  definition.stages.forEach((stage, position) => {
    if (!reached.has(stage.key)) add(`stages.${position}.key`, `stage ${stage.key}: cannot be reached from the first stage (${definition.stages[0].key})`);
  });
  // Ways with no delay, or a delay of zero or less: a patient could go round such a cycle in no time.
  const instant = (stageKey: string) => definition.stages[index.get(stageKey)!].next.map((way, wayIndex) => ({ way, wayIndex })).filter(({ way }) => !way.after || delayMs(way.after.delay) <= 0);
  const state = new Map<string, 'open' | 'done'>();
  const visit = (key: string): boolean => {
    state.set(key, 'open');
    for (const { way, wayIndex } of instant(key)) {
      if (state.get(way.to) === 'open') {
        add(`stages.${index.get(key)}.next.${wayIndex}.to`, `stage ${key}: moving on to ${way.to} closes a cycle with no delay on it`);
        return true;
      }
      if (!state.has(way.to) && visit(way.to)) return true;
    }
    state.set(key, 'done');
    return false;
  };
  for (const stage of definition.stages) if (!state.has(stage.key) && visit(stage.key)) return;
}
