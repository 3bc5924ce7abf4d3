import type { Template } from 'liquidjs';
import type { FieldIssue } from '../../errors.js';
import type { TemplateChannel } from './entities.js';
import { checkTemplateText } from './liquid.js';
import { channelFieldIssues } from './schema.js';

/** The texts of one version, as stored. */
export type VersionTexts = {
  subject?: string | null;
  body: string;
  contentSid?: string | null;
  contentVariables?: Record<string, string> | null;
};

export type CheckedVersion = {
  /** Every context variable the version uses, sorted. */
  variables: string[];
  /** Everything that stops it from being published, by field; empty when it may be. */
  issues: FieldIssue[];
  subject: Template[] | undefined;
  body: Template[];
  contentVariables: [placeholder: string, template: Template[]][];
};

/**
 * What publishing checks, and rendering needs: each text parsed, the variables listed, and every
 * problem named by its field (`body`, `subject`, `contentVariables.2`, `contentSid`).
 */
export function checkVersion(channel: TemplateChannel, texts: VersionTexts): CheckedVersion {
  const issues: FieldIssue[] = [...channelFieldIssues(channel, texts)];
  const variables = new Set<string>();
  const parse = (path: string, text: string): Template[] => {
    const checked = checkTemplateText(text);
    for (const variable of checked.variables) variables.add(variable);
    for (const problem of checked.problems) issues.push({ path, message: problem.message });
    return checked.template;
  };
  if (channel === 'email' && !texts.subject) issues.push({ path: 'subject', message: 'an email template needs a subject' });
  if (channel === 'whatsapp' && !texts.contentSid) {
    issues.push({ path: 'contentSid', message: 'a WhatsApp template needs the Content SID (HX…) of its approved Twilio Content template to be sent outside a conversation' });
  }
  const subject = texts.subject ? parse('subject', texts.subject) : undefined;
  const body = parse('body', texts.body);
  const contentVariables = Object.entries(texts.contentVariables ?? {})
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([placeholder, text]): [string, Template[]] => [placeholder, parse(`contentVariables.${placeholder}`, text)]);
  return { variables: [...variables].sort(), issues, subject, body, contentVariables };
}
