import { toIso, toIsoOrNull } from '../../schema.js';
import type { MessageTemplate, MessageTemplateVersion } from './entities.js';
import type { TemplateVersionView, TemplateView } from './schema.js';

export const versionView = (version: MessageTemplateVersion): TemplateVersionView => ({
  id: version.id,
  templateId: version.templateId,
  version: version.version,
  status: version.status,
  subject: version.subject ?? null,
  body: version.body,
  contentSid: version.contentSid ?? null,
  contentVariables: version.contentVariables ?? null,
  variables: version.variables ?? null,
  publishedAt: toIsoOrNull(version.publishedAt),
  publishedBy: version.publishedByKind && version.publishedById ? { kind: version.publishedByKind, id: version.publishedById } : null,
  createdAt: toIso(version.createdAt),
  updatedAt: toIso(version.updatedAt),
});

/** The template with the numbers of its latest published version and its draft, from its versions (any order). */
export function templateView(template: MessageTemplate, versions: readonly Pick<MessageTemplateVersion, 'version' | 'status'>[]): TemplateView {
  const numbers = (status: 'draft' | 'published') => versions.filter((version) => version.status === status).map((version) => version.version);
  const published = numbers('published');
  const draft = numbers('draft');
  return {
    id: template.id,
    name: template.name,
    channel: template.channel,
    locale: template.locale,
    description: template.description ?? null,
    publishedVersion: published.length > 0 ? Math.max(...published) : null,
    draftVersion: draft.length > 0 ? draft[0] : null,
    createdAt: toIso(template.createdAt),
    updatedAt: toIso(template.updatedAt),
  };
}
