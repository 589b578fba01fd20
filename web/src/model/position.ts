// Fractional indexing, ported digit for digit from crdt/src/position.rs so a
// key made here sorts exactly as the server sorts it. A key is a non-empty
// string of base-62 digits (0-9A-Za-z, ASCII order) not ending in '0'; keys
// compare as plain strings and there is always room between two of them.

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE = 62;

function digit(c: number): number | undefined {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 90) return c - 65 + 10;
  if (c >= 97 && c <= 122) return c - 97 + 36;
  return undefined;
}

/** Whether `key` is a well-formed position key. */
export function isValid(key: string): boolean {
  if (key.length === 0 || key.endsWith('0')) return false;
  for (let i = 0; i < key.length; i++) if (digit(key.charCodeAt(i)) === undefined) return false;
  return true;
}

function toDigits(key: string): number[] {
  return Array.from(key, (ch) => digit(ch.charCodeAt(0))).filter((d): d is number => d !== undefined);
}

/**
 * A key strictly between `a` and `b`; null/undefined is the open start or end.
 * Total like the Rust original: invalid bounds are ignored, as is a `b` that
 * is not greater than `a`.
 */
export function between(a?: string | null, b?: string | null): string {
  const aValid = a != null && isValid(a);
  const lower = aValid ? toDigits(a) : [];
  const upper = b != null && isValid(b) && (a == null || !isValid(a) || b > a) ? toDigits(b) : null;
  let out: number[];
  if (!aValid && upper === null) out = [BASE / 2];
  else if (upper === null) out = increment(lower);
  else if (!aValid) out = decrement(upper);
  else out = midpoint(lower, upper);
  return out.map((d) => DIGITS[d]).join('');
}

/** A short key just above `a`: steps by one digit so appends grow slowly. */
function increment(a: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; ; i++) {
    const d = a[i] ?? 0;
    if (d + 1 < BASE) {
      out.push(d + 1);
      return out;
    }
    out.push(d);
  }
}

/** A short key just below `b`; the mirror image of `increment`. */
function decrement(b: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  for (;;) {
    const d = b[i];
    if (d !== undefined && d > 1) out.push(d - 1);
    // "1x…" > "1" and "1" is valid; "1" alone has only "0…" below it.
    else if (d === 1 && b.length - i > 1) out.push(1);
    else if (d === 1) {
      out.push(0, BASE - 1);
      return out;
    } else if (d !== undefined) {
      out.push(0);
      i++;
      continue;
    } else out.push(BASE - 1);
    return out;
  }
}

/** A digit string strictly between `a` (missing digits are zeros) and `b` (null = 1.0). */
function midpoint(a: number[], b: number[] | null): number[] {
  const out: number[] = [];
  for (;;) {
    if (b !== null) {
      // Copy the common prefix: the result must share it to fit between.
      let n = 0;
      while (n < b.length && (a[n] ?? 0) === b[n]) n++;
      out.push(...b.slice(0, n));
      a = a.slice(n);
      b = b.length > n ? b.slice(n) : null;
    }
    const da = a[0] ?? 0;
    const db = b !== null ? b[0] : BASE;
    if (db > da + 1) {
      out.push(Math.floor((da + db) / 2));
      return out;
    }
    if (b !== null && b.length > 1 && b[0] === da + 1) {
      // `b`'s first digit alone is below `b` and above anything starting with `da`.
      out.push(b[0]);
      return out;
    }
    // No room at this digit: keep `a`'s digit and look after it, unbounded above.
    out.push(da);
    a = a.slice(1);
    b = null;
  }
}
