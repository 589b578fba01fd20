import { describe, expect, it } from 'vitest';
import { diffRows, type DiffBody } from './diff-rows';

// The example bodies of crdt/src/diff/mod.rs.
const promptDiff: DiffBody = {
  kind: 'prompt',
  from: 1,
  to: 2,
  changes: {
    metadata: [{ field: 'title', from: 'Greeter', to: 'Greeter v2' }],
    content: [
      {
        old_start: 1, old_lines: 2, new_start: 1, new_lines: 2,
        lines: [
          { op: 'equal', old_line: 1, new_line: 1, text: 'Intro\n' },
          {
            op: 'delete', old_line: 2, new_line: null, text: 'Hi {{name}}',
            segments: [{ op: 'equal', text: 'Hi {{' }, { op: 'delete', text: 'name' }, { op: 'equal', text: '}}' }],
          },
          {
            op: 'insert', old_line: null, new_line: 2, text: 'Hi {{user}}',
            segments: [{ op: 'equal', text: 'Hi {{' }, { op: 'insert', text: 'user' }, { op: 'equal', text: '}}' }],
          },
        ],
      },
    ],
    variables: {
      added: [{ name: 'user', description: '', default: null, required: true }],
      removed: [{ name: 'name', description: '', default: null, required: true }],
      changed: [{ name: 'user', attribute: 'default', from: null, to: 'Ann' }],
    },
  },
};

describe('diffRows', () => {
  it('renders prompt hunks with line numbers and word segments', () => {
    const rows = diffRows(promptDiff);
    expect(rows[0]).toEqual({ type: 'section', text: 'Details' });
    expect(rows[1]).toEqual({ type: 'change', op: 'change', text: 'title: "Greeter" → "Greeter v2"' });
    expect(rows).toContainEqual({ type: 'hunk', text: '@@ -1,2 +1,2 @@' });
    // Context lines lose their line break and keep both numbers.
    expect(rows).toContainEqual({ type: 'line', op: 'equal', oldLine: 1, newLine: 1, segments: [{ op: 'equal', text: 'Intro' }] });
    const deleted = rows.find((r) => r.type === 'line' && r.op === 'delete');
    expect(deleted).toEqual({
      type: 'line', op: 'delete', oldLine: 2, newLine: null,
      segments: [{ op: 'equal', text: 'Hi {{' }, { op: 'delete', text: 'name' }, { op: 'equal', text: '}}' }],
    });
    expect(rows).toContainEqual({ type: 'change', op: 'insert', text: 'added {{user}}' });
    expect(rows).toContainEqual({ type: 'change', op: 'delete', text: 'removed {{name}}' });
    expect(rows).toContainEqual({ type: 'change', op: 'change', text: '{{user}} default: (none) → "Ann"' });
  });

  it('renders model field changes with names for moved ids', () => {
    const empty = { added: [], removed: [], renamed: [], retyped: [], reordered: [], changed: [] };
    const body: DiffBody = {
      kind: 'model', from: 3, to: 4,
      changes: {
        metadata: [{ field: 'name', from: 'User', to: 'Person' }],
        fields: {
          added: [{ id: 'f3', name: 'age', type: 'integer' }],
          removed: [{ id: 'f9', name: 'legacy', type: 'text' }],
          renamed: [{ id: 'f2', from: 'email', to: 'mail' }],
          retyped: [{ id: 'f2', name: 'mail', from: 'string', to: 'text' }],
          reordered: ['f2'],
          changed: [{ id: 'f1', name: 'id', attribute: 'unique', from: false, to: true }],
        },
        relations: empty,
      },
    };
    expect(diffRows(body, new Map([['f2', 'mail']]))).toEqual([
      { type: 'section', text: 'Details' },
      { type: 'change', op: 'change', text: 'name: "User" → "Person"' },
      { type: 'section', text: 'Fields' },
      { type: 'change', op: 'insert', text: 'added age (integer)' },
      { type: 'change', op: 'delete', text: 'removed legacy (text)' },
      { type: 'change', op: 'change', text: 'renamed "email" → "mail"' },
      { type: 'change', op: 'change', text: 'mail: type string → text' },
      { type: 'change', op: 'change', text: 'id: unique false → true' },
      { type: 'change', op: 'change', text: 'moved mail' },
    ]);
  });

  it('says so when nothing changed', () => {
    const body: DiffBody = { kind: 'prompt', from: 1, to: 1, changes: { metadata: [], content: [], variables: { added: [], removed: [], changed: [] } } };
    expect(diffRows(body)).toEqual([{ type: 'empty', text: 'No changes between these versions.' }]);
  });
});
