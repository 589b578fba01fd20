// Turns the REST diff body (GET /api/{kind}/{id}/versions/{n}/diff, shapes in
// crdt/src/diff/) into flat display rows. Pure, so the rendering decisions are
// unit-tested; history/diff-view.ts only maps rows to elements.

export type Op = 'equal' | 'delete' | 'insert';

export interface Segment {
  op: Op;
  text: string;
}

export type DiffRow =
  | { type: 'section'; text: string }
  | { type: 'hunk'; text: string }
  | { type: 'line'; op: Op; oldLine: number | null; newLine: number | null; segments: Segment[] }
  | { type: 'change'; op: 'insert' | 'delete' | 'change'; text: string }
  | { type: 'empty'; text: string };

interface HunkLine {
  op: Op;
  old_line: number | null;
  new_line: number | null;
  text: string;
  segments?: Segment[];
}

interface Hunk {
  old_start: number;
  old_lines: number;
  new_start: number;
  new_lines: number;
  lines: HunkLine[];
}

interface MetadataChange {
  field: string;
  from: unknown;
  to: unknown;
}

interface Collection {
  added: Record<string, unknown>[];
  removed: Record<string, unknown>[];
  renamed: { id: string; from: string; to: string }[];
  retyped: { id: string; name: string; from: string; to: string }[];
  reordered: string[];
  changed: { id: string; name: string; attribute: string; from: unknown; to: unknown }[];
}

export interface DiffBody {
  kind: 'prompt' | 'model';
  from: number | null;
  to: number;
  changes: {
    metadata?: MetadataChange[];
    content?: Hunk[];
    variables?: {
      added: Record<string, unknown>[];
      removed: Record<string, unknown>[];
      changed: { name: string; attribute: string; from: unknown; to: unknown }[];
    };
    fields?: Collection;
    relations?: Collection;
  };
}

/** A value as a person reads it in a diff. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value);
}

function withoutBreak(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** The diff as rows; `names` maps model item ids to names for the "moved" list. */
export function diffRows(body: DiffBody, names: ReadonlyMap<string, string> = new Map()): DiffRow[] {
  const rows: DiffRow[] = [];
  const c = body.changes;
  const meta = c.metadata ?? [];
  if (meta.length > 0) {
    rows.push({ type: 'section', text: 'Details' });
    for (const m of meta) rows.push({ type: 'change', op: 'change', text: `${m.field}: ${show(m.from)} → ${show(m.to)}` });
  }
  if (body.kind === 'prompt') {
    const hunks = c.content ?? [];
    if (hunks.length > 0) {
      rows.push({ type: 'section', text: 'Content' });
      for (const h of hunks) {
        rows.push({ type: 'hunk', text: `@@ -${h.old_start},${h.old_lines} +${h.new_start},${h.new_lines} @@` });
        for (const l of h.lines) {
          const segments = (l.segments ?? [{ op: l.op, text: l.text }])
            .map((s) => ({ op: s.op, text: withoutBreak(s.text) }))
            .filter((s) => s.text.length > 0);
          rows.push({ type: 'line', op: l.op, oldLine: l.old_line, newLine: l.new_line, segments });
        }
      }
    }
    const v = c.variables;
    if (v && v.added.length + v.removed.length + v.changed.length > 0) {
      rows.push({ type: 'section', text: 'Variables' });
      for (const a of v.added) rows.push({ type: 'change', op: 'insert', text: `added {{${String(a.name)}}}` });
      for (const r of v.removed) rows.push({ type: 'change', op: 'delete', text: `removed {{${String(r.name)}}}` });
      for (const ch of v.changed) {
        rows.push({ type: 'change', op: 'change', text: `{{${ch.name}}} ${ch.attribute}: ${show(ch.from)} → ${show(ch.to)}` });
      }
    }
  } else {
    collectionRows(rows, 'Fields', c.fields, names, (item) => `${String(item.name)} (${String(item.type)})`);
    collectionRows(rows, 'Relations', c.relations, names, (item) => `${String(item.name)} (${String(item.kind)} → ${String(item.target)})`);
  }
  if (rows.length === 0) rows.push({ type: 'empty', text: 'No changes between these versions.' });
  return rows;
}

function collectionRows(
  rows: DiffRow[],
  title: string,
  col: Collection | undefined,
  names: ReadonlyMap<string, string>,
  describe: (item: Record<string, unknown>) => string,
): void {
  if (!col) return;
  const out: DiffRow[] = [];
  for (const a of col.added) out.push({ type: 'change', op: 'insert', text: `added ${describe(a)}` });
  for (const r of col.removed) out.push({ type: 'change', op: 'delete', text: `removed ${describe(r)}` });
  for (const r of col.renamed) out.push({ type: 'change', op: 'change', text: `renamed ${show(r.from)} → ${show(r.to)}` });
  for (const r of col.retyped) out.push({ type: 'change', op: 'change', text: `${r.name}: type ${r.from} → ${r.to}` });
  for (const ch of col.changed) {
    out.push({ type: 'change', op: 'change', text: `${ch.name}: ${ch.attribute} ${show(ch.from)} → ${show(ch.to)}` });
  }
  if (col.reordered.length > 0) {
    out.push({ type: 'change', op: 'change', text: `moved ${col.reordered.map((id) => names.get(id) ?? id).join(', ')}` });
  }
  if (out.length > 0) rows.push({ type: 'section', text: title }, ...out);
}
