/**
 * JSON.parse that keeps every digit of large integers (issue #25). Bitstamp's ids (order, trade,
 * transaction) are JSON numbers that may exceed 2^53, where JSON.parse silently rounds them and two
 * different fills could collapse into one. Node 20 has no reviver `context.source`, so a pre-pass
 * quotes every integer literal of more than 15 digits that stands in number position (never inside
 * a string); the schemas accept ids and decimals as strings. Fractions and exponents are left alone
 * (decimals come as strings from Bitstamp anyway).
 */

/** Integer literals with more than this many digits are turned into strings (2^53 has 16 digits). */
const MAX_EXACT_DIGITS = 15;

export function parseJsonLossless(text: string): unknown {
  return JSON.parse(quoteLargeIntegers(text)) as unknown;
}

/** The same JSON text with large integer literals quoted; invalid JSON stays invalid. */
export function quoteLargeIntegers(text: string): string {
  let out = '';
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string literal, honouring escapes
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      if (c === 0x2d) i++;
      const digitsStart = i;
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      const digits = i - digitsStart;
      const next = i < n ? text[i] : '';
      const isInteger = next !== '.' && next !== 'e' && next !== 'E';
      if (isInteger && digits > MAX_EXACT_DIGITS) {
        out += text.slice(last, start) + '"' + text.slice(start, i) + '"';
        last = i;
      } else {
        // a fraction or exponent: consume the rest of the number token
        while (i < n && /[0-9.eE+-]/.test(text[i] ?? '')) i++;
      }
      continue;
    }
    i++;
  }
  return last === 0 ? text : out + text.slice(last);
}
