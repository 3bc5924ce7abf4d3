import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Case, defaultPatients, defaultPractitioners, modes as allModes, type CaseFile, type Expectations, type Mode, type Turn } from './case-format.js';

export const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'cases');

/**
 * One case file as loaded: `spec` when it is a valid case, else the `problems` that make it fail.
 * `id` is its path under cases/ without the extension ("book/first-free-slot").
 */
export type ConversationCase = {
  id: string;
  task: string;
  file: string;
  modes: Mode[];
  spec: CaseFile | null;
  problems: string[];
};

/** Every case under cases/ (sorted by id), or those whose id contains one of `filters`. */
export function loadCases(options: { filters?: string[]; directory?: string } = {}): ConversationCase[] {
  const directory = options.directory ?? CASES_DIR;
  const files = readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => join(directory, file))
    .sort();
  const cases = files.map((file) => loadCase(file, directory));
  const filters = options.filters ?? [];
  return filters.length === 0 ? cases : cases.filter((loaded) => filters.some((filter) => loaded.id.includes(filter)));
}

function loadCase(file: string, directory: string): ConversationCase {
  const id = relative(directory, file).replace(/\.yaml$/, '');
  const folder = basename(dirname(file));
  const broken = (problems: string[]): ConversationCase => ({ id, task: folder, file, modes: ['guided'], spec: null, problems });
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return broken([`not YAML: ${(error as Error).message}`]);
  }
  const parsed = Case.safeParse(raw);
  if (!parsed.success) return broken(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`));
  const spec: CaseFile = {
    ...parsed.data,
    clinic: {
      ...parsed.data.clinic,
      practitioners: { ...defaultPractitioners, ...parsed.data.clinic.practitioners },
      patients: { ...defaultPatients, ...parsed.data.clinic.patients },
    },
  };
  const modes = spec.modes ?? (spec.turns.some((turn) => turn.model?.script) ? [...allModes] : ['guided' as const]);
  const problems = [
    ...(spec.task === folder ? [] : [`task is ${spec.task}, but the file is in the folder ${folder}`]),
    ...spec.turns.flatMap((turn, index) => modes.flatMap((mode) => (assertsReply(turn, mode) ? [] : [`turn ${index + 1} asserts nothing about the reply in ${mode} mode (give contains, not_contains or no_reply, or set modes)`]))),
  ];
  // A case that is not valid fails once, whatever its modes.
  return problems.length === 0 ? { id, task: spec.task, file, modes, spec, problems } : { id, task: spec.task, file, modes: [modes[0]], spec: null, problems };
}

/** Every turn must say something the reply must or must not be, in every mode the case runs in. */
function assertsReply(turn: Turn, mode: Mode): boolean {
  const about = (expectations: Expectations | undefined) => expectations !== undefined && (expectations.contains !== undefined || expectations.not_contains !== undefined || expectations.no_reply !== undefined);
  return about(turn) || about(mode === 'guided' ? turn.guided : turn.model);
}
