/**
 * The templates module's service functions. Other modules render messages with `renderTemplate`
 * (one) or `renderTemplateForEach` (many patients at once); `templateVariables` lists what a
 * template may say.
 */
export { previewTemplate, renderTemplate } from './render.js';
export { renderTemplateForEach, type RenderOutcome, type RenderRecipient } from './render-many.js';
export { createTemplate, getTemplate, listTemplates, publishTemplate, updateTemplateDraft } from './templates.js';
export { templateVariables } from './variables.js';
export type { RenderedMessage, RenderTemplateInput } from './schema.js';
