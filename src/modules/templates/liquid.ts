import { Liquid, LiquidError, type Template } from 'liquidjs';
import { knownVariable, type KnownValues } from './variables.js';

/**
 * The one Liquid engine templates are checked and rendered with. Strict: an unknown filter is a
 * parse error, an undefined variable a render error, and only the context's own properties are
 * readable (no `constructor`, no prototype). It has no file system (the tags that read files are
 * removed), no globals, and limits on template size, render time and memory.
 */
const engine = new Liquid({
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  // A template is at most 100,000 characters (an email body); rendering one takes microseconds, so
  // 200 ms only stops a runaway loop, and 2 MB of allocated text one that multiplies text.
  parseLimit: 200_000,
  renderLimit: 200,
  memoryLimit: 2_000_000,
  globals: {},
});

// include/render/layout/block read other templates; a message template stands alone.
for (const tag of ['include', 'render', 'layout', 'block']) delete engine.tags[tag];

/**
 * Filters a message needs: text and numbers. Left out are those that read time or randomness
 * (`date`, `sample`), evaluate text as expressions (`where_exp` …) and so hide the variables they
 * use from the publish check, serialize whole objects (`json`, `inspect`), or only make sense for
 * collections we do not provide.
 */
export const allowedFilters = [
  'append', 'prepend', 'capitalize', 'downcase', 'upcase', 'strip', 'lstrip', 'rstrip', 'strip_newlines', 'squish',
  'normalize_whitespace', 'replace', 'replace_first', 'replace_last', 'remove', 'remove_first', 'remove_last', 'truncate',
  'truncatewords', 'escape', 'escape_once', 'strip_html', 'newline_to_br', 'url_encode', 'default', 'size', 'slice',
  'plus', 'minus', 'times', 'divided_by', 'modulo', 'round', 'ceil', 'floor', 'abs', 'at_least', 'at_most',
] as const;
for (const name of Object.keys(engine.filters)) {
  if (!(allowedFilters as readonly string[]).includes(name)) engine.unregisterFilter(name);
}

/** One problem with a template text: what and where, for the caller to fix. */
export type TemplateProblem = { message: string };

/** Liquid's ", line:1, col:4" as words a person reads. */
const describe = (message: string): string =>
  message
    .replace(/^undefined filter: ([^,\s]+)/, 'unknown filter "$1"')
    .replace(/^tag "([^"]+)" not found/, 'unknown or disallowed tag "$1"')
    .replace(/, line:(\d+), col:(\d+)$/, ' (line $1, column $2)');

export type CheckedText = { template: Template[]; variables: string[]; problems: TemplateProblem[] };

/**
 * Parses a template text and lists the context variables it uses. Problems: a syntax error, an
 * unknown filter or tag, or a variable outside the rendering context (`patient.nickname`,
 * `patient.constructor`, `patient[values.key]`).
 */
export function checkTemplateText(text: string): CheckedText {
  let template: Template[];
  try {
    template = engine.parse(text);
  } catch (error) {
    // The text is the caller's: whatever the parser refuses is a problem to report, not a fault of ours.
    const message = error instanceof Error ? error.message : String(error);
    return { template: [], variables: [], problems: [{ message: `syntax error: ${describe(message)}` }] };
  }
  const variables = new Set<string>();
  const problems: TemplateProblem[] = [];
  for (const uses of Object.values(engine.analyzeSync(template).globals)) {
    for (const use of uses) {
      const name = knownVariable(use.segments);
      if (name) variables.add(name);
      else problems.push({ message: `unknown variable ${use.toString()} (line ${use.location.row}, column ${use.location.col})` });
    }
  }
  return { template, variables: [...variables].sort(), problems };
}

export type Rendered = { ok: true; text: string } | { ok: false; message: string };

/** Renders a parsed template with the context and nothing else; a render error (a limit, a missing value) is returned, not thrown. */
export async function renderText(template: Template[], context: KnownValues): Promise<Rendered> {
  try {
    return { ok: true, text: String(await engine.render(template, context)) };
  } catch (error) {
    if (!LiquidError.is(error)) throw error;
    return { ok: false, message: describe(error.message) };
  }
}
