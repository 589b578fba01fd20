// `{{name}}` placeholders, ported from crdt/src/placeholders.rs so the editor
// highlights and lists exactly the variables the server extracts. Offsets are
// UTF-16 code units (CodeMirror positions), not the Rust side's bytes; names
// are ASCII, so the names found are identical.
//
// A placeholder is `{{`, optional ASCII whitespace, a name matching
// [A-Za-z_][A-Za-z0-9_.-]*, optional ASCII whitespace, `}}`. A run of
// backslashes right before `{{` is halved, and an odd run makes that `{{`
// literal text.

export interface Placeholder {
  name: string;
  /** [from, to) of the whole `{{ … }}` in the template. */
  from: number;
  to: number;
}

/** One piece of a parsed template: literal text (escapes resolved) or a placeholder. */
export type Piece = { text: string } | { placeholder: Placeholder };

const BACKSLASH = 92;

// Rust's u8::is_ascii_whitespace: space, \t, \n, \x0C, \r (not \x0B).
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 46 || c === 45;
}

/** Whether `name` is a valid variable name. */
export function isValidName(name: string): boolean {
  if (name.length === 0 || !isNameStart(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) if (!isNameChar(name.charCodeAt(i))) return false;
  return true;
}

/** Parses `{{ name }}` at `start`; the name's range and the end, or null. */
function parseAt(text: string, start: number): { nameFrom: number; nameTo: number; end: number } | null {
  let i = start + 2;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  const nameFrom = i;
  if (i >= text.length || !isNameStart(text.charCodeAt(i))) return null;
  i++;
  while (i < text.length && isNameChar(text.charCodeAt(i))) i++;
  const nameTo = i;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (text.startsWith('}}', i)) return { nameFrom, nameTo, end: i + 2 };
  return null;
}

/** The template as literal text and placeholders, left to right, escapes resolved. */
export function parse(text: string): Piece[] {
  const pieces: Piece[] = [];
  const pushText = (from: number, to: number) => {
    if (to > from) pieces.push({ text: text.slice(from, to) });
  };
  let literal = 0;
  let i = 0;
  for (;;) {
    const start = text.indexOf('{{', i);
    if (start === -1) break;
    let slashes = 0;
    while (start - slashes - 1 >= literal && text.charCodeAt(start - slashes - 1) === BACKSLASH) slashes++;
    if (slashes > 0) {
      // Keep half the run: the backslashes are identical, so drop the tail.
      pushText(literal, start - slashes + Math.floor(slashes / 2));
      literal = start;
      if (slashes % 2 === 1) {
        // The `{{` stays in the pending literal text.
        i = start + 2;
        continue;
      }
    }
    const found = parseAt(text, start);
    if (found) {
      pushText(literal, start);
      pieces.push({ placeholder: { name: text.slice(found.nameFrom, found.nameTo), from: start, to: found.end } });
      literal = found.end;
      i = found.end;
    } else {
      // `{{{x}}}` holds `{{x}}` one brace later; retry from there.
      i = start + 1;
    }
  }
  pushText(literal, text.length);
  return pieces;
}

/** Every live placeholder occurrence, left to right (escaped ones excluded). */
export function find(text: string): Placeholder[] {
  const out: Placeholder[] = [];
  for (const piece of parse(text)) if ('placeholder' in piece) out.push(piece.placeholder);
  return out;
}

/** Every distinct placeholder name, in order of first appearance. */
export function extract(text: string): string[] {
  const names: string[] = [];
  for (const p of find(text)) if (!names.includes(p.name)) names.push(p.name);
  return names;
}
