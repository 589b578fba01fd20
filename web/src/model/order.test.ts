import { describe, expect, it } from 'vitest';
import { moveWrites, positionAtEnd, sortByPosition, type Positioned } from './order';

function apply(items: Positioned[], writes: Map<string, string>): string[] {
  return sortByPosition(items.map((i) => ({ ...i, position: writes.get(i.id) ?? i.position }))).map((i) => i.id);
}

describe('order', () => {
  const items: Positioned[] = [
    { id: 'a', position: 'V' },
    { id: 'b', position: 'W' },
    { id: 'c', position: 'X' },
  ];

  it('sorts by position then id, as the server does', () => {
    const tied = [
      { id: 'z', position: 'V' },
      { id: 'y', position: 'V' },
      { id: 'x', position: 'U' },
    ];
    expect(sortByPosition(tied).map((i) => i.id)).toEqual(['x', 'y', 'z']);
  });

  it('moving one item writes only that item', () => {
    const w = moveWrites(items, 'c', 0);
    expect([...w.keys()]).toEqual(['c']);
    expect(apply(items, w)).toEqual(['c', 'a', 'b']);
    expect(apply(items, moveWrites(items, 'a', 2))).toEqual(['b', 'c', 'a']);
    expect(apply(items, moveWrites(items, 'a', 1))).toEqual(['b', 'a', 'c']);
  });

  it('a drop in place writes nothing', () => {
    expect(moveWrites(items, 'b', 1).size).toBe(0);
  });

  it('renumbers when neighbours are tied', () => {
    const tied = [
      { id: 'a', position: 'V' },
      { id: 'b', position: 'V' },
      { id: 'c', position: 'V' },
    ];
    expect(apply(tied, moveWrites(tied, 'c', 1))).toEqual(['a', 'c', 'b']);
  });

  it('appends after the last item', () => {
    expect(positionAtEnd(items) > 'X').toBe(true);
    expect(positionAtEnd([])).toBe('V');
  });
});
