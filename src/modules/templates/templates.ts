import { LockMode } from '@mikro-orm/core';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { after, decodeCursor, page } from '../../db/pagination.js';
import { AppError, conflict, invalid, notFound } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { newId } from '../../ids.js';
import { checkVersion } from './check.js';
import { MessageTemplate, MessageTemplateVersion } from './entities.js';
import { channelFieldIssues, type CreateTemplateInput, type ListTemplatesInput, type PublishTemplateInput, type UpdateTemplateDraftInput } from './schema.js';
import type { TemplateVersionView } from './schema.js';
import { templateView, versionView } from './views.js';

/**
 * The tenant's template. `forUpdate` (inside a write) locks its row: drafts and publishes of one
 * template run one after the other, so two edits cannot both open version N+1.
 */
export async function requireTemplate(ctx: AppContext, id: string, options: { forUpdate?: boolean } = {}): Promise<MessageTemplate> {
  const template = await ctx.em.findOne(MessageTemplate, { id }, options.forUpdate ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!template) throw notFound('Template', id);
  return template;
}

const versionsOf = (ctx: AppContext, templateId: string) =>
  ctx.em.find(MessageTemplateVersion, { templateId }, { orderBy: [{ version: 'desc' }] });

async function withVersions(ctx: AppContext, template: MessageTemplate) {
  const versions = await versionsOf(ctx, template.id);
  return { ...templateView(template, versions), versions: versions.map(versionView) };
}

/** Creates a template with its first version, a draft. (name, channel, locale) is unique per clinic. */
export async function createTemplate(ctx: AppContext, input: z.output<typeof CreateTemplateInput>) {
  const existing = await ctx.em.findOne(MessageTemplate, { name: input.name, channel: input.channel, locale: input.locale });
  if (existing) {
    throw conflict(`A ${input.channel} template "${input.name}" in ${input.locale} already exists; edit its draft instead.`, { templateId: existing.id });
  }
  const now = ctx.clock.now();
  const template = ctx.em.create(MessageTemplate, {
    id: newId(),
    tenantId: ctx.tenant.id,
    name: input.name,
    channel: input.channel,
    locale: input.locale,
    description: input.description || null,
    createdAt: now,
    updatedAt: now,
  });
  const draft = ctx.em.create(MessageTemplateVersion, {
    id: newId(),
    tenantId: ctx.tenant.id,
    templateId: template.id,
    version: 1,
    status: 'draft',
    subject: input.subject ?? null,
    body: input.body,
    contentSid: input.contentSid ?? null,
    contentVariables: input.contentVariables ?? null,
    variables: null,
    publishedAt: null,
    publishedByKind: null,
    publishedById: null,
    createdAt: now,
    updatedAt: now,
  });
  recordEvent(ctx, { type: 'template.created', entityType: 'message_template', entityId: template.id, payload: { templateId: template.id, versionId: draft.id, version: 1 } });
  return { ...templateView(template, [draft]), versions: [versionView(draft)] };
}

/** A template with all its versions, newest first. */
export async function getTemplate(ctx: AppContext, id: string) {
  return withVersions(ctx, await requireTemplate(ctx, id));
}

/** Templates, newest first, filtered by channel, locale and name; keyset-paginated. */
export async function listTemplates(ctx: AppContext, input: z.output<typeof ListTemplatesInput>) {
  const rows = await ctx.em.find(
    MessageTemplate,
    {
      ...(input.channel ? { channel: input.channel } : {}),
      ...(input.locale ? { locale: input.locale } : {}),
      ...(input.name ? { name: input.name } : {}),
      ...after('createdAt', decodeCursor(input.cursor)),
    },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  const ids = rows.slice(0, input.limit).map((template) => template.id);
  const versions = ids.length === 0 ? [] : await ctx.em.find(MessageTemplateVersion, { templateId: { $in: ids } }, { fields: ['templateId', 'version', 'status'] });
  return page(rows, input.limit, (template) => ({ at: template.createdAt, id: template.id }), (template) =>
    templateView(template, versions.filter((version) => version.templateId === template.id)),
  );
}

/**
 * Edits the template's draft; when its latest version is published, opens version N+1 as a draft,
 * starting from that version's texts. A published version is never changed.
 */
export async function updateTemplateDraft(ctx: AppContext, input: z.output<typeof UpdateTemplateDraftInput>): Promise<TemplateVersionView> {
  const { id, ...changes } = input;
  if (Object.keys(changes).length === 0) throw invalid('Give at least one field to change.', [{ path: '(input)', message: 'no changes' }]);
  const template = await requireTemplate(ctx, id, { forUpdate: true });
  const issues = channelFieldIssues(template.channel, changes);
  if (template.channel === 'email' && changes.subject === null) issues.push({ path: 'subject', message: 'an email template needs a subject' });
  if (issues.length > 0) throw invalid(`Invalid input: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, issues);

  const [latest] = await versionsOf(ctx, template.id);
  const now = ctx.clock.now();
  const draft =
    latest.status === 'draft'
      ? latest
      : ctx.em.create(MessageTemplateVersion, {
          id: newId(),
          tenantId: ctx.tenant.id,
          templateId: template.id,
          version: latest.version + 1,
          status: 'draft',
          subject: latest.subject ?? null,
          body: latest.body,
          contentSid: latest.contentSid ?? null,
          contentVariables: latest.contentVariables ?? null,
          variables: null,
          publishedAt: null,
          publishedByKind: null,
          publishedById: null,
          createdAt: now,
          updatedAt: now,
        });
  if (changes.body !== undefined) draft.body = changes.body;
  if (changes.subject !== undefined) draft.subject = changes.subject;
  if (changes.contentSid !== undefined) draft.contentSid = changes.contentSid;
  if (changes.contentVariables !== undefined) draft.contentVariables = changes.contentVariables;
  draft.updatedAt = now;
  template.updatedAt = now;
  recordEvent(ctx, {
    type: 'template.draft_updated',
    entityType: 'message_template',
    entityId: template.id,
    payload: { templateId: template.id, versionId: draft.id, version: draft.version, fields: Object.keys(changes) },
  });
  return versionView(draft);
}

/**
 * Publishes the template's draft: checks it (syntax, filters, variables, a WhatsApp Content SID) and
 * lists the variables it uses. Any problem is a 422 naming every one, and nothing is published.
 */
export async function publishTemplate(ctx: AppContext, input: z.output<typeof PublishTemplateInput>): Promise<TemplateVersionView> {
  const template = await requireTemplate(ctx, input.id, { forUpdate: true });
  const [latest] = await versionsOf(ctx, template.id);
  if (latest.status !== 'draft') throw conflict(`Template ${template.id} has no draft to publish: version ${latest.version} is published. Edit it to open a draft.`);
  if (input.version !== undefined && input.version !== latest.version) {
    throw conflict(`The draft is version ${latest.version}, not ${input.version}: review it again.`, { draftVersion: latest.version });
  }
  const checked = checkVersion(template.channel, latest);
  if (checked.issues.length > 0) {
    throw new AppError('unprocessable', `Version ${latest.version} cannot be published: ${checked.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, {
      issues: checked.issues,
      details: { version: latest.version },
    });
  }
  const now = ctx.clock.now();
  latest.status = 'published';
  latest.variables = checked.variables;
  latest.publishedAt = now;
  latest.publishedByKind = ctx.actor.kind;
  latest.publishedById = ctx.actor.id;
  latest.updatedAt = now;
  template.updatedAt = now;
  recordEvent(ctx, {
    type: 'template.published',
    entityType: 'message_template',
    entityId: template.id,
    payload: { templateId: template.id, versionId: latest.id, version: latest.version },
  });
  return versionView(latest);
}
