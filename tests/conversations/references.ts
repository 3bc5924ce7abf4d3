/**
 * The ids of what the runner created for a case, by the keys the case gave them, and the
 * ${patient.KEY} / ${practitioner.KEY} / ${appointment.REF} references in its strings.
 */

export type References = {
  patient: Map<string, string>;
  practitioner: Map<string, string>;
  appointment: Map<string, string>;
};

export const emptyReferences = (): References => ({ patient: new Map(), practitioner: new Map(), appointment: new Map() });

const REFERENCE = /\$\{(patient|practitioner|appointment)\.([a-z0-9-]+)\}/g;

/** The value with every reference in its strings replaced by the id; an unknown one throws. */
export function resolve<Value>(value: Value, references: References): Value {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_, kind: keyof References, key: string) => {
      const id = references[kind].get(key);
      if (!id) throw new Error(`The case refers to ${kind} "${key}", which its clinic does not have`);
      return id;
    }) as Value;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => resolve(item, references)) as Value;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, references)])) as Value;
  }
  return value;
}

/** The key a case gave the record with this id, for transcripts and state checks. */
export function keyOf(references: References, kind: keyof References, id: string): string | undefined {
  for (const [key, known] of references[kind]) if (known === id) return key;
  return undefined;
}

/** The text with every id the runner created shown as the reference to it (${patient.maria}), for transcripts. */
export function nameIds(text: string, references: References): string {
  let named = text;
  for (const kind of ['patient', 'practitioner', 'appointment'] as const) {
    for (const [key, id] of references[kind]) named = named.replaceAll(id, `\${${kind}.${key}}`);
  }
  return named;
}
