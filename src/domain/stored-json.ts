/**
 * A JSON column read back from the store: undefined when it is not JSON at all (a damaged row), so
 * the caller's zod schema refuses it like any other invalid value instead of the read throwing.
 */
export function parseStoredJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
