import { defineOperation } from '../../tools/operation.js';
import { allowedFilters } from './liquid.js';
import {
  CreateTemplateInput,
  GetTemplateInput,
  ListTemplatesInput,
  ListTemplatesOutput,
  PublishTemplateInput,
  RenderedMessage,
  RenderTemplateInput,
  TemplateVersionView,
  TemplateWithVersions,
  UpdateTemplateDraftInput,
} from './schema.js';
import * as templates from './service.js';
import { templateVariables } from './variables.js';

const tag = 'templates';
const staff = { roles: ['staff'] } as const;
const readOnly = { readOnly: true, destructive: false, idempotent: true };

/** What a model or a person writing a template needs to know, from the one definition of each. */
const language = `Variables: ${templateVariables.map((variable) => variable.name).join(', ')}. Filters: ${allowedFilters.join(', ')}.`;

export const templateOperations = [
  defineOperation({
    name: 'create_template',
    title: 'Create a message template',
    description: `Creates a message template (name, channel, locale) with its first version as a draft. Publish it to use it. ${language}`,
    tag,
    input: CreateTemplateInput,
    output: TemplateWithVersions,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: staff,
    http: { method: 'post', path: '/templates', status: 201 },
    run: (ctx, input) => templates.createTemplate(ctx, input),
  }),
  defineOperation({
    name: 'list_templates',
    title: 'List message templates',
    description: 'Message templates, newest first, filtered by channel, locale and name, with their published and draft version numbers.',
    tag,
    input: ListTemplatesInput,
    output: ListTemplatesOutput,
    annotations: readOnly,
    access: staff,
    http: { method: 'get', path: '/templates' },
    run: (ctx, input) => templates.listTemplates(ctx, input),
  }),
  defineOperation({
    name: 'get_template',
    title: 'Get a message template',
    description: 'One message template with all its versions, newest first.',
    tag,
    input: GetTemplateInput,
    output: TemplateWithVersions,
    annotations: readOnly,
    access: staff,
    http: { method: 'get', path: '/templates/{id}' },
    run: (ctx, input) => templates.getTemplate(ctx, input.id),
  }),
  defineOperation({
    name: 'update_template_draft',
    title: 'Edit a template’s draft',
    description: `Edits the template’s draft; when its latest version is published, opens the next version as a draft from it (published versions never change). Only the fields given change. ${language}`,
    tag,
    input: UpdateTemplateDraftInput,
    output: TemplateVersionView,
    annotations: { readOnly: false, destructive: false, idempotent: true },
    access: staff,
    http: { method: 'patch', path: '/templates/{id}/draft' },
    run: (ctx, input) => templates.updateTemplateDraft(ctx, input),
  }),
  defineOperation({
    name: 'publish_template',
    title: 'Publish a template’s draft',
    description:
      'Checks the draft (Liquid syntax, known filters and variables, a Content SID on WhatsApp) and publishes it: from now on it is what is sent. Every problem is listed by field and nothing is published.',
    tag,
    input: PublishTemplateInput,
    output: TemplateVersionView,
    annotations: { readOnly: false, destructive: false, idempotent: false },
    access: staff,
    http: { method: 'post', path: '/templates/{id}/publish' },
    run: (ctx, input) => templates.publishTemplate(ctx, input),
  }),
  defineOperation({
    name: 'preview_template',
    title: 'Preview a message',
    description:
      'Renders a template for a patient, appointment and values without sending anything: the latest published version in the locale asked for or its fallback (es-MX → es → the clinic’s default), or the version given (the draft too).',
    tag,
    input: RenderTemplateInput,
    output: RenderedMessage,
    annotations: readOnly,
    access: { roles: ['staff'], phi: true },
    http: { method: 'post', path: '/templates/preview' },
    run: (ctx, input) => templates.previewTemplate(ctx, input),
  }),
];
