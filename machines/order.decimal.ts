/**
 * Exact decimal arithmetic for the order machine's hot path (every FILL and every view), on plain
 * decimal strings with scaled BigInts instead of decimal.js objects (several times cheaper).
 *
 * Byte-identical by construction: money.ts's `D` rounds every operation to 40 significant digits
 * (half-even) and leaves an exact result alone. So an exact result with at most 40 significant
 * digits IS the decimal.js result. Functions here answer `undefined` for anything else (exponent
 * or signed input, a result needing rounding) and callers then run the decimal.js code as before.
 * Comparisons are exact in both. test/property/order-decimal.property.test.ts checks the equality.
 */

/** value = c / 10^s (s >= 0). */
export interface Fixed {
  c: bigint;
  s: number;
}

/** Non-negative, no exponent, digits on both sides of a dot: what the service and exchanges send. */
const PLAIN = /^\d+(?:\.\d+)?$/;
/** The canonical form decimal.js's toFixed() prints: no leading/trailing zeros, no sign, no exponent. */
const CANONICAL = /^(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;
/** Significant digits of money.ts's D. */
const PRECISION = 40;
const LIMIT = 10n ** BigInt(PRECISION);

const POW10: bigint[] = [1n];
function pow10(n: number): bigint {
  for (let i = POW10.length; i <= n; i++) POW10.push(POW10[i - 1]! * 10n);
  return POW10[n]!;
}

export function isPlain(s: string): boolean {
  return PLAIN.test(s);
}

export function parseFixed(s: string): Fixed | undefined {
  if (!PLAIN.test(s)) return undefined;
  const dot = s.indexOf('.');
  return dot < 0 ? { c: BigInt(s), s: 0 } : { c: BigInt(s.slice(0, dot) + s.slice(dot + 1)), s: s.length - dot - 1 };
}

function align(a: Fixed, b: Fixed): [bigint, bigint, number] {
  if (a.s === b.s) return [a.c, b.c, a.s];
  return a.s > b.s ? [a.c, b.c * pow10(a.s - b.s), a.s] : [a.c * pow10(b.s - a.s), b.c, b.s];
}

export function addFixed(a: Fixed, b: Fixed): Fixed {
  const [x, y, s] = align(a, b);
  return { c: x + y, s };
}

export function subFixed(a: Fixed, b: Fixed): Fixed {
  const [x, y, s] = align(a, b);
  return { c: x - y, s };
}

export function mulFixed(a: Fixed, b: Fixed): Fixed {
  return { c: a.c * b.c, s: a.s + b.s };
}

export function cmpFixed(a: Fixed, b: Fixed): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Without trailing fraction zeros (same value). */
function normalize(a: Fixed): Fixed {
  let { c, s } = a;
  while (s > 0 && c % 10n === 0n) {
    c /= 10n;
    s--;
  }
  return c === a.c ? a : { c, s };
}

/** The exact value when decimal.js (40 significant digits) would not round it, else undefined. */
export function exact(a: Fixed): Fixed | undefined {
  const abs = a.c < 0n ? -a.c : a.c;
  if (abs < LIMIT) return a;
  const n = normalize(a);
  let c = n.c < 0n ? -n.c : n.c;
  // Trailing zeros of the integer part are not significant either.
  while (c >= LIMIT && c % 10n === 0n) c /= 10n;
  return c < LIMIT ? n : undefined;
}

/** decimal.js toFixed() of the value: canonical, never "-0". */
export function fixedStr(a: Fixed): string {
  return a.c === 0n ? '0' : scaledStr((a.c < 0n ? -a.c : a.c).toString(), a.c < 0n, a.s);
}

/** The canonical string of (digits / 10^s), digits without sign. */
function scaledStr(coefficient: string, negative: boolean, s: number): string {
  let digits = coefficient;
  if (s > 0) {
    if (digits.length <= s) digits = '0'.repeat(s - digits.length + 1) + digits;
    // Trailing fraction zeros go (string work: far cheaper than dividing a BigInt by 10 per zero).
    let end = digits.length;
    const point = digits.length - s;
    while (end > point && digits.charCodeAt(end - 1) === 48) end--;
    digits = end === point ? digits.slice(0, point) : `${digits.slice(0, point)}.${digits.slice(point, end)}`;
  }
  return negative ? `-${digits}` : digits;
}

// ---------------------------------------------------------------------------------------------
// Small values (at most 15 digits) as safe-integer Numbers: no BigInt allocation at all. Every
// step is checked to stay a safe integer, so every result is exact (and far below 40 digits).

/** Fraction digits of a plain decimal string. */
export function scaleOf(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** The digits of a plain decimal string as an integer (value * 10^scaleOf), or NaN if not plain or too long. */
export function smallCoefficient(s: string): number {
  if (s.length > 16 || !PLAIN.test(s) || s.length - (s.indexOf('.') < 0 ? 0 : 1) > 15) return NaN;
  let c = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d >= 0) c = c * 10 + d; // the dot gives a negative d
  }
  return c; // at most 15 digits: exact
}

const POW10_NUM = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** c * 10^k; NaN unless a safe integer (then exact). */
export function scaleUp(c: number, k: number): number {
  if (k === 0) return c;
  const r = k < POW10_NUM.length ? c * (POW10_NUM[k] as number) : NaN;
  return Number.isSafeInteger(r) ? r : NaN;
}

/** a + b (or NaN unless a safe integer: then exact). */
export function safeSum(a: number, b: number): number {
  const r = a + b;
  return Number.isSafeInteger(r) ? r : NaN;
}

/** a * b (or NaN unless a safe integer: then exact). */
export function safeProduct(a: number, b: number): number {
  const r = a * b;
  return Number.isSafeInteger(r) ? r : NaN;
}

/** decimal.js toFixed() of c / 10^s for a safe integer c. */
export function smallStr(c: number, s: number): string {
  return c === 0 ? '0' : scaledStr(String(c < 0 ? -c : c), c < 0, s);
}

/** decStr(s) without decimal.js when `s` is already canonical; undefined otherwise. */
export function canonicalOrUndefined(s: string): string | undefined {
  return CANONICAL.test(s) ? s : undefined;
}

/**
 * Compares two plain decimal strings without allocating (the `always` guards run it after every
 * event). Undefined if either is not plain.
 */
export function cmpPlain(a: string, b: string): number | undefined {
  if (!PLAIN.test(a) || !PLAIN.test(b)) return undefined;
  const ad = a.indexOf('.');
  const bd = b.indexOf('.');
  const aEnd = ad < 0 ? a.length : ad;
  const bEnd = bd < 0 ? b.length : bd;
  let ai = 0;
  let bi = 0;
  while (ai < aEnd - 1 && a.charCodeAt(ai) === 48) ai++;
  while (bi < bEnd - 1 && b.charCodeAt(bi) === 48) bi++;
  const aLen = aEnd - ai;
  const bLen = bEnd - bi;
  if (aLen !== bLen) return aLen < bLen ? -1 : 1;
  for (; ai < aEnd; ai++, bi++) {
    const d = a.charCodeAt(ai) - b.charCodeAt(bi);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  const aFrac = ad < 0 ? 0 : a.length - ad - 1;
  const bFrac = bd < 0 ? 0 : b.length - bd - 1;
  const n = Math.max(aFrac, bFrac);
  for (let k = 0; k < n; k++) {
    const x = k < aFrac ? a.charCodeAt(ad + 1 + k) : 48;
    const y = k < bFrac ? b.charCodeAt(bd + 1 + k) : 48;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * num / den when it is a short terminating decimal (at most 6 fraction digits, 15 digits in all),
 * computed with safe integers: then it needs no rounding at all, neither at 40 digits nor at 18
 * places, so it is what divRoundedStr gives. Undefined otherwise (the usual average of fills at
 * one or a few prices is such a quotient).
 */
export function shortQuotientStr(num: string, den: string): string | undefined {
  const nC = smallCoefficient(num);
  const dC = smallCoefficient(den);
  if (!(dC > 0) || Number.isNaN(nC)) return undefined;
  const shift = scaleOf(den) - scaleOf(num);
  const n = shift >= 0 ? scaleUp(nC, shift) : nC;
  const d = shift >= 0 ? dC : scaleUp(dC, -shift);
  // value = n / d; try n * 10^k / d for k = 0..6.
  for (let k = 0; k <= 6; k++) {
    const scaled = scaleUp(n, k);
    if (Number.isNaN(scaled) || Number.isNaN(d)) return undefined;
    if (scaled % d === 0) return smallStr(scaled / d, k);
  }
  return undefined;
}

/** Rounds the non-negative n/d to an integer, half to even. */
function divRoundHalfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const twice = (n - q * d) * 2n;
  if (twice > d || (twice === d && q % 2n === 1n)) return q + 1n;
  return q;
}

/**
 * decimal.js `new D(num).div(den).toDecimalPlaces(dp, ROUND_HALF_EVEN).toFixed()` for plain
 * non-negative operands, den > 0: the quotient rounded to 40 significant digits first (div), then
 * to `dp` places (the double rounding is reproduced on purpose). Undefined if not plain.
 */
export function divRoundedStr(num: string, den: string, dp: number): string | undefined {
  const a = parseFixed(num);
  const b = parseFixed(den);
  if (a === undefined || b === undefined || b.c === 0n) return undefined;
  if (a.c === 0n) return '0';
  // value = (a.c / b.c) * 10^(b.s - a.s)
  const n = a.c;
  const d = b.c;
  // e = floor(log10(n / d)), from the digit counts, corrected by one comparison.
  let e = n.toString().length - d.toString().length;
  if (e >= 0 ? n < d * pow10(e) : n * pow10(-e) < d) e--;
  // 40 significant digits: q = round(n / d * 10^k) with k = PRECISION - 1 - e, value = q * 10^(b.s - a.s - k).
  const k = PRECISION - 1 - e;
  const q = k >= 0 ? divRoundHalfEven(n * pow10(k), d) : divRoundHalfEven(n, d * pow10(-k));
  // q / 10^scale is decimal.js's quotient (q may be 10^40 after rounding up: still exact).
  const scale = k - (b.s - a.s);
  if (scale <= dp) return fixedStr(scale >= 0 ? { c: q, s: scale } : { c: q * pow10(-scale), s: 0 });
  return fixedStr({ c: divRoundHalfEven(q, pow10(scale - dp)), s: dp });
}
