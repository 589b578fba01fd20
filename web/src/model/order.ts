// Display order of model fields and relations, and the position writes a move
// needs. Order is (position, id) as plain string comparison, exactly like
// collection.rs's materialise, so every peer and the REST view agree.
import { between, isValid } from './position';

export interface Positioned {
  id: string;
  position: string;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Items sorted like the server sorts them. */
export function sortByPosition<T extends Positioned>(items: T[]): T[] {
  return [...items].sort((a, b) => cmp(a.position, b.position) || cmp(a.id, b.id));
}

/** The position for a new item at the end of `ordered`. */
export function positionAtEnd(ordered: Positioned[]): string {
  const last = ordered.at(-1);
  return between(last && isValid(last.position) ? last.position : null, null);
}

/**
 * The position writes that move item `id` to index `to` of `ordered` (an
 * index in the list as it is after the move). Usually one write, the moved
 * item's, so a peer's concurrent move of another item is never clobbered; only
 * when the neighbours have no valid gap between them (tied or invalid
 * positions written by some other client) is the whole list renumbered.
 */
export function moveWrites(ordered: Positioned[], id: string, to: number): Map<string, string> {
  const rest = ordered.filter((item) => item.id !== id);
  if (rest.length === ordered.length) return new Map();
  const at = Math.max(0, Math.min(to, rest.length));
  const prev = rest[at - 1]?.position ?? null;
  const next = rest[at]?.position ?? null;
  const prevOk = prev === null || isValid(prev);
  const nextOk = next === null || isValid(next);
  if (prevOk && nextOk && (prev === null || next === null || prev < next)) {
    const current = ordered.find((item) => item.id === id)!;
    const fits = (prev === null || current.position > prev) && (next === null || current.position < next);
    // Already in place (e.g. dropped where it was): write nothing.
    if (fits && isValid(current.position) && ordered.indexOf(current) === at) return new Map();
    return new Map([[id, between(prev, next)]]);
  }
  const order = [...rest.slice(0, at), ordered.find((item) => item.id === id)!, ...rest.slice(at)];
  const writes = new Map<string, string>();
  let last: string | null = null;
  for (const item of order) {
    last = between(last, null);
    writes.set(item.id, last);
  }
  return writes;
}
