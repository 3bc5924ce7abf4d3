import type { z } from 'zod';

/** The zod type under optional/nullable/default wrappers. */
function baseType(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType && ['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional'].includes(def.type)) {
      current = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      current = def.in;
    } else {
      return current;
    }
  }
}

function coerceScalar(type: z.core.$ZodType, value: string): unknown {
  switch (type._zod.def.type) {
    case 'number':
    case 'int':
      return value.trim() === '' ? value : Number(value);
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    default:
      return value;
  }
}

/**
 * Query strings carry only text; this turns them into what the operation's input schema expects
 * (numbers, booleans, arrays from repeated or comma-separated keys). Validation stays with the runner:
 * a value that does not convert is passed on as it came and reported there, by field.
 */
export function queryInput(schema: z.ZodObject, queries: Record<string, string[]>): Record<string, unknown> {
  const shape = schema.shape as Record<string, z.core.$ZodType>;
  // No prototype: a key such as __proto__ or toString is a plain (unknown) field, refused by name.
  const input: Record<string, unknown> = Object.create(null);
  for (const [key, values] of Object.entries(queries)) {
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!field) {
      input[key] = values.at(-1);
      continue;
    }
    const type = baseType(field);
    if (type._zod.def.type === 'array') {
      const element = baseType((type._zod.def as unknown as { element: z.core.$ZodType }).element);
      input[key] = values.flatMap((value) => value.split(',')).filter((value) => value !== '').map((value) => coerceScalar(element, value));
    } else {
      input[key] = coerceScalar(type, values.at(-1) ?? '');
    }
  }
  return input;
}
