import { describe, expect, it } from 'vitest';
import { extract, find, isValidName, parse } from './placeholders';

// The cases of crdt/src/placeholders.rs's tests, with the same expected results
// (spans in UTF-16 units instead of bytes).
describe('placeholders', () => {
  it('extracts names in order of first appearance', () => {
    const t = 'Hi {{name}}, {{ topic }} and {{name}} again; {{\n user.id \t}} {{a-b_c}}';
    expect(extract(t)).toEqual(['name', 'topic', 'user.id', 'a-b_c']);
  });

  it('ignores things that are not placeholders', () => {
    for (const t of ['{{}}', '{{ }}', '{{1x}}', '{{a b}}', '{{a}', '{a}}', '{{a', '{{-a}}', '{ {a}}', '{{é}}']) {
      expect(extract(t), t).toEqual([]);
    }
  });

  it('finds placeholders inside extra braces', () => {
    expect(extract('{{{x}}}')).toEqual(['x']);
    // Rust: span 3..10 in bytes; 'é' is one UTF-16 unit, so 2..9 here.
    expect(find('é {{ x }}!')).toEqual([{ name: 'x', from: 2, to: 9 }]);
  });

  it('escaped placeholders are not variables', () => {
    expect(extract('\\{{a}} {{b}} \\\\{{c}} \\\\\\{{d}} x\\y{{e}}')).toEqual(['b', 'c', 'e']);
    expect(extract('\\{{{x}}}')).toEqual([]);
    expect(extract('{\\{{x}}')).toEqual([]);
  });

  it('parse halves backslash runs before braces only', () => {
    expect(parse('a\\b \\{{x}} \\\\{{ y }}!')).toEqual([
      { text: 'a\\b ' },
      { text: '{{x}} \\' },
      { placeholder: { name: 'y', from: 13, to: 20 } },
      { text: '!' },
    ]);
    expect(parse('\\\\\\\\{{ 1 }}')).toEqual([{ text: '\\\\' }, { text: '{{ 1 }}' }]);
    expect(parse('')).toEqual([]);
  });

  it('validates names', () => {
    expect(isValidName('_a.b-c9')).toBe(true);
    expect(isValidName('')).toBe(false);
    expect(isValidName('9a')).toBe(false);
    expect(isValidName('a b')).toBe(false);
  });

  it('vertical tab is not whitespace inside braces, like Rust', () => {
    expect(extract('{{\u000bx}}')).toEqual([]);
    expect(extract('{{\u000cx\r}}')).toEqual(['x']);
  });
});
