// A live table over one ordered collection of a model (fields or relations):
// one row per item map, one bound control per cell, rows ordered by their
// fractional position; add, delete, and reorder by drag or keyboard (the
// handle with ArrowUp/ArrowDown, or Alt+ArrowUp/Down anywhere in the row).
// A move writes only the moved item's position, so concurrent moves and edits
// of different cells never clash.
import * as Y from 'yjs';
import { bindControl, type BindOptions, type Binding } from '../live/bind';
import { moveWrites, sortByPosition } from '../model/order';
import { itemMaps, POSITION, readString } from '../schema';
import { h } from '../ui/element';

type Control = HTMLInputElement | HTMLSelectElement;

export interface Column {
  label: string;
  /** Builds the cell's control and how it binds to the item map. */
  control(id: string): { el: Control; bind: BindOptions<any> };
}

export interface TableOptions {
  root: Y.Map<unknown>;
  noun: string;
  columns: Column[];
  /** `data-testid` of each row. */
  rowTestId: string;
  readOnly: () => boolean;
  /** Announces moves to screen readers. */
  announce: (text: string) => void;
}

interface Row {
  tr: HTMLTableRowElement;
  bindings: Binding[];
  controls: Control[];
  handle: HTMLButtonElement;
}

export function collectionTable(opts: TableOptions): { el: HTMLElement; refresh: () => void; focusName: (id: string) => void } {
  const tbody = h('tbody', {});
  const rows = new Map<string, Row>();
  let dragging: string | null = null;

  const ordered = () =>
    sortByPosition(itemMaps(opts.root).map(([id, m]) => ({ id, position: readString(m, POSITION), name: readString(m, 'name') })));

  const move = (id: string, to: number) => {
    const order = ordered();
    const writes = moveWrites(order, id, to);
    if (writes.size === 0) return;
    opts.root.doc!.transact(() => {
      for (const [itemId, position] of writes) (opts.root.get(itemId) as Y.Map<unknown>).set(POSITION, position);
    });
    const name = order.find((i) => i.id === id)?.name || `this ${opts.noun}`;
    opts.announce(`Moved ${name} to position ${Math.min(to, order.length - 1) + 1} of ${order.length}.`);
  };

  const makeRow = (id: string): Row => {
    const handle = h('button', { type: 'button', class: 'handle', title: 'Drag, or use the arrow keys, to reorder' }, '⠿');
    const bindings: Binding[] = [];
    const controls: Control[] = [];
    const cells = opts.columns.map((col) => {
      const { el, bind } = col.control(id);
      controls.push(el);
      bindings.push(bindControl(el, () => (opts.root.get(id) instanceof Y.Map ? (opts.root.get(id) as Y.Map<unknown>) : null), bind));
      return h('td', {}, el);
    });
    const remove = h('button', { type: 'button', class: 'link danger', 'data-testid': `${opts.rowTestId}-delete` }, 'Delete');
    remove.addEventListener('click', () => opts.root.doc!.transact(() => opts.root.delete(id)));
    const tr = h('tr', { 'data-testid': opts.rowTestId, 'data-id': id }, h('td', {}, handle), ...cells, h('td', {}, remove));

    const index = () => ordered().findIndex((i) => i.id === id);
    handle.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
      e.preventDefault();
      move(id, index() + (e.key === 'ArrowUp' ? -1 : 1));
    });
    tr.addEventListener('keydown', (e) => {
      if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
      e.preventDefault();
      move(id, index() + (e.key === 'ArrowUp' ? -1 : 1));
    });
    // Only the handle starts a drag, so selecting text in a cell still works.
    handle.addEventListener('pointerdown', () => {
      if (!opts.readOnly()) tr.draggable = true;
    });
    tr.addEventListener('dragstart', (e) => {
      dragging = id;
      e.dataTransfer?.setData('text/plain', id);
      tr.classList.add('dragging');
    });
    tr.addEventListener('dragend', () => {
      tr.draggable = false;
      dragging = null;
      tr.classList.remove('dragging');
      tbody.querySelectorAll('.drop-before, .drop-after').forEach((r) => r.classList.remove('drop-before', 'drop-after'));
    });
    return { tr, bindings, controls, handle };
  };

  tbody.addEventListener('dragover', (e) => {
    if (!dragging) return;
    e.preventDefault();
    const target = (e.target as HTMLElement).closest('tr');
    tbody.querySelectorAll('.drop-before, .drop-after').forEach((r) => r.classList.remove('drop-before', 'drop-after'));
    if (!target) return;
    const box = target.getBoundingClientRect();
    target.classList.add(e.clientY < box.top + box.height / 2 ? 'drop-before' : 'drop-after');
  });
  tbody.addEventListener('drop', (e) => {
    e.preventDefault();
    const target = (e.target as HTMLElement).closest('tr') as HTMLTableRowElement | null;
    const id = dragging;
    if (!id || !target) return;
    const box = target.getBoundingClientRect();
    const after = e.clientY >= box.top + box.height / 2;
    const rest = ordered().filter((i) => i.id !== id);
    const at = rest.findIndex((i) => i.id === target.dataset.id);
    if (target.dataset.id === id || at === -1) return;
    move(id, at + (after ? 1 : 0));
  });

  const refresh = () => {
    const order = ordered();
    const ids = new Set(order.map((i) => i.id));
    const focused = document.activeElement as HTMLElement | null;
    for (const [id, row] of rows) {
      if (!ids.has(id)) {
        row.bindings.forEach((b) => b.destroy());
        row.tr.remove();
        rows.delete(id);
      }
    }
    const names = new Map<string, number>();
    for (const i of order) names.set(i.name, (names.get(i.name) ?? 0) + 1);
    order.forEach((item, i) => {
      let row = rows.get(item.id);
      if (!row) {
        row = makeRow(item.id);
        rows.set(item.id, row);
      }
      row.bindings.forEach((b) => b.refresh());
      const ro = opts.readOnly();
      for (const c of row.controls) c.disabled = ro;
      row.handle.disabled = ro;
      (row.tr.lastElementChild as HTMLElement).hidden = ro;
      const name = row.controls[0];
      // Names must be unique within the list for the REST view (and for people).
      const duplicate = item.name !== '' && (names.get(item.name) ?? 0) > 1;
      name.setAttribute('aria-invalid', String(duplicate));
      name.title = duplicate ? `Another ${opts.noun} has this name` : '';
      row.handle.setAttribute('aria-label', `Move ${item.name || opts.noun} (position ${i + 1} of ${order.length})`);
      if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] ?? null);
    });
    // Moving a row blurs what was focused inside it; put the focus back.
    if (focused && focused !== document.activeElement && tbody.contains(focused)) focused.focus();
  };

  const table = h(
    'table',
    { class: 'grid live-table' },
    h('thead', {}, h('tr', {}, h('th', { class: 'handle-col' }, h('span', { class: 'sr-only' }, 'Order')), opts.columns.map((c) => h('th', {}, c.label)), h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))),
    tbody,
  );
  return {
    el: h('div', { class: 'table-wrap' }, table),
    refresh,
    focusName: (id) => {
      const input = rows.get(id)?.controls[0];
      if (input instanceof HTMLInputElement) {
        input.focus();
        input.select();
      }
    },
  };
}
