// Diff rows (history/diff-rows.ts) as elements: a unified-diff table for
// prompt text with word-level highlights, plain change lines for the rest.
import { h } from '../ui/element';
import type { DiffRow } from './diff-rows';

const SIGN = { equal: ' ', delete: '−', insert: '+' } as const;

export function diffElement(rows: DiffRow[]): HTMLElement {
  const out = h('div', { class: 'diff' });
  let table: HTMLTableSectionElement | null = null;
  for (const row of rows) {
    if (row.type !== 'line' && row.type !== 'hunk') table = null;
    switch (row.type) {
      case 'section':
        out.append(h('h4', {}, row.text));
        break;
      case 'empty':
        out.append(h('p', { class: 'muted' }, row.text));
        break;
      case 'change':
        out.append(h('div', { class: `change change-${row.op}` }, h('span', { class: 'sign', 'aria-hidden': 'true' }, row.op === 'insert' ? '+' : row.op === 'delete' ? '−' : '~'), row.text));
        break;
      case 'hunk':
      case 'line': {
        if (!table) {
          table = h('tbody', {});
          out.append(h('table', { class: 'diff-lines' }, table));
        }
        if (row.type === 'hunk') {
          table.append(h('tr', { class: 'hunk' }, h('td', { colspan: 4 }, row.text)));
        } else {
          table.append(
            h(
              'tr',
              { class: `line line-${row.op}` },
              h('td', { class: 'num' }, row.oldLine ?? ''),
              h('td', { class: 'num' }, row.newLine ?? ''),
              h('td', { class: 'sign', 'aria-label': row.op }, SIGN[row.op]),
              h('td', { class: 'text' }, row.segments.map((s) => (s.op === 'equal' ? s.text : h(s.op === 'insert' ? 'ins' : 'del', {}, s.text)))),
            ),
          );
        }
        break;
      }
    }
  }
  return out;
}
