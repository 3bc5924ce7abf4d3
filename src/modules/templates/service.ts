/**
 * The templates module's service functions; `templateVariables` lists what a template may say.
 */
export { createTemplate, getTemplate, listTemplates, publishTemplate, updateTemplateDraft } from './templates.js';
export { templateVariables } from './variables.js';
