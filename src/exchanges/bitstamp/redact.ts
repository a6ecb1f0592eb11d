/**
 * Redaction by value (issue #25): exchange text (error reasons, malformed-reply details) may echo
 * what we sent (a proxy, a faulty endpoint). Before such text becomes a DomainError message, every
 * credential value the adapter handled is cut out of it: the API key and every part longer than
 * 8 characters of a signature it produced recently, whether echoed raw, URL-encoded (once or
 * twice), JSON-escaped, upper-cased, in the `BITSTAMP <key>` header form or split across lines.
 *
 * How: matching runs on a "compact" view of the text (escapes decoded, whitespace and line breaks
 * dropped, lower case) that remembers where each of its characters came from, and the original
 * span of every hit is replaced. Runs only on error paths, so brute force is fine.
 */

const REDACTED = '[redacted]';
/** Parts of a value this long or longer are redacted ("any part longer than 8 characters"). */
const MIN_PART = 9;
const RECENT_SIGNATURES = 64;

export class CredentialRedactor {
  private readonly keys = new Set<string>();
  private readonly signatures: string[] = [];

  /** The API key sent in X-Auth (remembered for as long as the adapter lives). */
  rememberKey(apiKey: string): void {
    if (apiKey !== '') this.keys.add(apiKey.toLowerCase());
  }

  /** A signature just sent; the newest RECENT_SIGNATURES are kept. */
  rememberSignature(signature: string): void {
    if (signature === '') return;
    this.signatures.push(signature.toLowerCase());
    if (this.signatures.length > RECENT_SIGNATURES) this.signatures.shift();
  }

  redact(text: string): string {
    if (text === '' || (this.keys.size === 0 && this.signatures.length === 0)) return text;
    const { compact, from, to } = compactView(text);
    const spans: Array<[number, number]> = [];
    const mark = (value: string): void => {
      // Short values are matched whole; longer ones by every window of MIN_PART characters,
      // whose union covers any echoed part longer than 8 characters.
      const w = Math.min(MIN_PART, value.length);
      for (let s = 0; s + w <= value.length; s++) {
        const part = value.slice(s, s + w);
        for (let at = compact.indexOf(part); at !== -1; at = compact.indexOf(part, at + 1)) {
          spans.push([from[at] ?? 0, to[at + w - 1] ?? text.length]);
        }
      }
    };
    for (const k of this.keys) mark(k);
    for (const s of this.signatures) mark(s);
    if (spans.length === 0) return text;
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let pos = 0;
    let i = 0;
    while (i < spans.length) {
      const first = spans[i];
      if (!first) break;
      let [start, end] = first;
      i++;
      for (let next = spans[i]; next && next[0] <= end; next = spans[i]) {
        end = Math.max(end, next[1]);
        i++;
      }
      out += text.slice(pos, Math.max(pos, start)) + REDACTED;
      pos = Math.max(pos, end);
    }
    return out + text.slice(pos);
  }
}

/**
 * `compact[j]` came from `text.slice(from[j], to[j])`. Decodes %XX (and %25XX), \uXXXX, \xXX;
 * drops whitespace, '+' (form-encoded space) and literal \n \r \t escapes.
 */
function compactView(text: string): { compact: string; from: number[]; to: number[] } {
  let compact = '';
  const from: number[] = [];
  const to: number[] = [];
  const push = (ch: string, start: number, end: number): void => {
    compact += ch.toLowerCase();
    from.push(start);
    to.push(end);
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i, i + 6);
    let m: RegExpExecArray | null;
    if ((m = /^%25([0-9a-f]{2})/i.exec(rest)) || (m = /^%([0-9a-f]{2})/i.exec(rest)) || (m = /^\\x([0-9a-f]{2})/i.exec(rest)) || (m = /^\\u([0-9a-f]{4})/i.exec(rest))) {
      const ch = String.fromCharCode(parseInt(m[1] ?? '0', 16));
      if (!/\s/.test(ch)) push(ch, i, i + m[0].length);
      i += m[0].length;
      continue;
    }
    if (/^\\[nrt]/.test(rest)) {
      i += 2;
      continue;
    }
    const ch = text[i] ?? '';
    if (!/\s/.test(ch) && ch !== '+') push(ch, i, i + 1);
    i++;
  }
  return { compact, from, to };
}
