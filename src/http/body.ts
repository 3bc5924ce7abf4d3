import type { Context } from 'hono';
import { invalid } from '../errors.js';

/** The request's JSON body; an empty body is `{}`; malformed JSON is a 400 naming the body. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('The request body is not valid JSON.', [{ path: 'body', message: 'invalid JSON' }]);
  }
}
