import { describe, expect, it } from 'vitest';
import { between, isValid } from './position';

// Same cases as crdt/src/position.rs's tests, plus seeded random checks of its proptests.
describe('between', () => {
  it('first key is the middle digit', () => {
    expect(between(null, null)).toBe('V');
  });

  it('squeezes between adjacent digits exactly like the Rust side', () => {
    expect(between('1', '2')).toBe('1V');
    expect(between('1', '21')).toBe('2');
    expect(between(null, '01')).toBe('00z');
    expect(between('z', null)).toBe('z1');
  });

  it('ignores invalid or unordered bounds', () => {
    for (const [a, b] of [['a0', null], ['!', 'b'], ['b', 'a'], ['b', 'b']] as const) {
      expect(isValid(between(a, b))).toBe(true);
    }
    expect(between('b', 'a') > 'b').toBe(true);
  });

  it('repeated appends and prepends stay short', () => {
    let first = between(null, null);
    let last = first;
    for (let i = 0; i < 1000; i++) {
      const next = between(last, null);
      expect(next > last).toBe(true);
      last = next;
      const prev = between(null, first);
      expect(prev < first).toBe(true);
      first = prev;
    }
    expect(last.length).toBeLessThan(20);
    expect(first.length).toBeLessThan(20);
  });

  // A small deterministic generator: failures reproduce from the printed seed.
  function rng(seed: number) {
    let s = seed >>> 0;
    return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  }
  const ALPHA = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  function key(r: () => number): string {
    const len = Math.floor(r() * 7);
    let k = '';
    for (let i = 0; i < len; i++) k += ALPHA[Math.floor(r() * 62)];
    return k + ALPHA[1 + Math.floor(r() * 61)];
  }

  it('is strictly between any two distinct valid keys (seed 7)', () => {
    const r = rng(7);
    for (let i = 0; i < 5000; i++) {
      const a = key(r);
      const b = key(r);
      if (a === b) continue;
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const mid = between(lo, hi);
      expect(isValid(mid), `${lo} ${mid} ${hi}`).toBe(true);
      expect(lo < mid && mid < hi, `${lo} < ${mid} < ${hi}`).toBe(true);
    }
  });

  it('respects open ends and repeated splits (seed 11)', () => {
    const r = rng(11);
    for (let i = 0; i < 2000; i++) {
      const k = key(r);
      expect(between(null, k) < k && k < between(k, null)).toBe(true);
    }
    let lo = between(null, null);
    let hi: string | null = null;
    for (let i = 0; i < 200; i++) {
      const mid = between(lo, hi);
      expect(mid > lo && (hi === null || mid < hi)).toBe(true);
      if (r() < 0.5) hi = mid;
      else lo = mid;
    }
  });
});
