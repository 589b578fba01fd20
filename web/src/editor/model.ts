// The model editor page: name and description, the fields and relations
// tables (every cell live), presence, save status and history.
import * as Y from 'yjs';
import { api, query } from '../api/client';
import { canEdit, type DocumentJson, type Page, type Workspace } from '../api/types';
import type { View } from '../app/router';
import { setTrail } from '../app/shell';
import { bindControl, boolBinding, stringBinding, type BindOptions } from '../live/bind';
import { openLive } from '../live/connection';
import { positionAtEnd, sortByPosition } from '../model/order';
import {
  FIELD_DEFAULT, FIELD_DESCRIPTION, FIELD_ENUM_VALUES, FIELD_NAME, FIELD_REQUIRED, FIELD_TYPE, FIELD_TYPES, FIELD_UNIQUE,
  META_DESCRIPTION, META_NAME, RELATION_KIND, RELATION_KINDS, RELATION_NAME, RELATION_TARGET, itemMaps, modelRoots,
  newFieldProps, newItemId, newRelationProps, POSITION, readString, type Json,
} from '../schema';
import { h } from '../ui/element';
import { messageOf } from '../ui/notice';
import { workspaceOf } from '../workspace/membership';
import { collectionTable, type Column } from './collection-table';
import { docHeader } from './doc-header';
import { historyToggle } from './history-toggle';

/** Types whose default is text as typed; other types read JSON (numbers, true, [..]). */
const TEXT_TYPES = new Set(['string', 'text', 'enum', 'date', 'datetime', 'uuid']);

/** The default cell's text → stored JSON value; empty means no default (null). */
export function parseDefault(text: string, type: string): Json {
  if (text === '') return null;
  if (TEXT_TYPES.has(type)) return text;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

export function showDefault(value: Json): string {
  if (value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function parseEnum(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
}

function select(options: readonly string[], label: string): HTMLSelectElement {
  return h('select', { 'aria-label': label }, options.map((o) => h('option', { value: o }, o)));
}

/** Text whose shown form differs from what is typed: leave it alone while focused. */
function lazyText<T>(key: string, parse: (c: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, m?: Y.Map<unknown>) => T, show: (v: T) => string, read: (m: Y.Map<unknown>) => T): BindOptions<T> {
  return {
    read,
    write: (m, v) => m.set(key, v),
    parse: (c) => parse(c),
    show: (c, v) => {
      if (document.activeElement !== c && c.value !== show(v)) c.value = show(v);
    },
  };
}

export const modelView: View = async (outlet, params) => {
  let ws: Workspace;
  try {
    ws = await workspaceOf(params.ws);
  } catch (err) {
    outlet.append(h('p', { class: 'error', role: 'alert' }, messageOf(err)));
    return;
  }
  const live = await openLive(params.id, !canEdit(ws.role));
  const doc = live.doc;
  const roots = modelRoots(doc);
  const ro = () => live.readOnly();
  const header = docHeader(live, 'Model name');
  setTrail([{ label: 'Workspaces', href: '#/' }, { label: ws.name, href: `#/w/${ws.slug}` }, { label: 'Model' }]);
  const announcer = h('p', { class: 'sr-only', 'aria-live': 'assertive' });
  const announce = (t: string) => {
    announcer.textContent = t;
  };
  const description = h('input', { type: 'text', class: 'grow', 'aria-label': 'Description', placeholder: 'What this model holds', 'data-testid': 'doc-description' });

  const typeOf = (id: string) => {
    const m = roots.fields.get(id);
    return m instanceof Y.Map ? readString(m, FIELD_TYPE) || 'string' : 'string';
  };
  const fieldColumns: Column[] = [
    { label: 'Name', control: () => ({ el: h('input', { type: 'text', 'aria-label': 'Field name', 'data-testid': 'field-name' }), bind: stringBinding(FIELD_NAME) }) },
    {
      label: 'Type',
      control: () => ({
        el: select(FIELD_TYPES, 'Field type'),
        bind: { ...stringBinding(FIELD_TYPE), read: (m: Y.Map<unknown>) => readString(m, FIELD_TYPE) || 'string' },
      }),
    },
    { label: 'Required', control: () => ({ el: h('input', { type: 'checkbox', 'aria-label': 'Required' }), bind: boolBinding(FIELD_REQUIRED, false) }) },
    { label: 'Unique', control: () => ({ el: h('input', { type: 'checkbox', 'aria-label': 'Unique' }), bind: boolBinding(FIELD_UNIQUE, false) }) },
    {
      label: 'Default',
      control: (id) => ({
        el: h('input', { type: 'text', 'aria-label': 'Default value', placeholder: 'none' }),
        bind: lazyText<Json>(FIELD_DEFAULT, (c) => parseDefault(c.value, typeOf(id)), showDefault, (m) => (m.get(FIELD_DEFAULT) ?? null) as Json),
      }),
    },
    {
      label: 'Enum values',
      control: () => ({
        el: h('input', { type: 'text', 'aria-label': 'Enum values, comma-separated', placeholder: 'a, b, c' }),
        bind: lazyText<string[]>(FIELD_ENUM_VALUES, (c) => parseEnum(c.value), (v) => v.join(', '), (m) => {
          const v = m.get(FIELD_ENUM_VALUES);
          return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
        }),
      }),
    },
    { label: 'Description', control: () => ({ el: h('input', { type: 'text', 'aria-label': 'Field description' }), bind: stringBinding(FIELD_DESCRIPTION) }) },
  ];

  const targets = h('datalist', { id: `targets-${params.id}` });
  const relationColumns: Column[] = [
    { label: 'Name', control: () => ({ el: h('input', { type: 'text', 'aria-label': 'Relation name', 'data-testid': 'relation-name' }), bind: stringBinding(RELATION_NAME) }) },
    { label: 'Kind', control: () => ({ el: select(RELATION_KINDS, 'Relation kind'), bind: stringBinding(RELATION_KIND) }) },
    {
      label: 'Target model',
      control: () => ({ el: h('input', { type: 'text', list: targets.id, 'aria-label': 'Target model id', placeholder: 'model id' }), bind: stringBinding(RELATION_TARGET) }),
    },
  ];

  const fields = collectionTable({ root: roots.fields, noun: 'field', columns: fieldColumns, rowTestId: 'model-field-row', readOnly: ro, announce });
  const relations = collectionTable({ root: roots.relations, noun: 'relation', columns: relationColumns, rowTestId: 'model-relation-row', readOnly: ro, announce });

  const ordered = (root: Y.Map<unknown>) => sortByPosition(itemMaps(root).map(([id, m]) => ({ id, position: readString(m, POSITION) })));
  const freeName = (root: Y.Map<unknown>, stem: string) => {
    const taken = new Set(itemMaps(root).map(([, m]) => readString(m, 'name')));
    for (let n = taken.size + 1; ; n++) if (!taken.has(`${stem}_${n}`)) return `${stem}_${n}`;
  };
  const addField = h('button', { class: 'secondary', 'data-testid': 'model-add-field' }, 'Add field');
  addField.addEventListener('click', () => {
    const id = newItemId(doc, 'f', (x) => roots.fields.has(x));
    doc.transact(() => roots.fields.set(id, new Y.Map(newFieldProps(freeName(roots.fields, 'field'), positionAtEnd(ordered(roots.fields))))));
    fields.focusName(id);
  });
  const addRelation = h('button', { class: 'secondary', 'data-testid': 'model-add-relation' }, 'Add relation');
  addRelation.addEventListener('click', () => {
    const id = newItemId(doc, 'r', (x) => roots.relations.has(x));
    doc.transact(() => roots.relations.set(id, new Y.Map(newRelationProps(freeName(roots.relations, 'relation'), 'one_to_many', '', positionAtEnd(ordered(roots.relations))))));
    relations.focusName(id);
  });

  const bindings = [bindControl(header.title, () => roots.meta, stringBinding(META_NAME)), bindControl(description, () => roots.meta, stringBinding(META_DESCRIPTION))];
  const history = historyToggle(header.historyButton, { kind: 'model', id: params.id, role: ws.role });
  outlet.append(
    h(
      'div',
      { class: 'doc-page' },
      header.el,
      h(
        'div',
        { class: 'doc-body model' },
        h(
          'section',
          { class: 'card wide', 'aria-label': 'Model' },
          h('label', { class: 'field' }, h('span', {}, 'Description'), description),
          h('div', { class: 'row spread' }, h('h2', {}, 'Fields'), addField),
          fields.el,
          h('p', { class: 'muted small' }, 'Reorder: drag the ⠿ handle, or focus it and press ↑/↓ (Alt+↑/↓ from any cell).'),
          h('div', { class: 'row spread' }, h('h2', {}, 'Relations'), addRelation),
          relations.el,
          targets,
          announcer,
        ),
        history.el,
      ),
    ),
  );

  const refreshAll = () => {
    bindings.forEach((b) => b.refresh());
    fields.refresh();
    relations.refresh();
    for (const c of [header.title, description, addField, addRelation]) c.disabled = ro();
  };
  roots.meta.observe(() => bindings.forEach((b) => b.refresh()));
  roots.fields.observeDeep(() => fields.refresh());
  roots.relations.observeDeep(() => relations.refresh());
  const stopLive = live.onChange(refreshAll);
  refreshAll();

  // Target suggestions: the workspace's other models (ids, labelled by name).
  api
    .get<Page<DocumentJson>>(`/api/workspaces/${ws.id}/models${query({ limit: 200, sort: 'title' })}`)
    .then((page) => targets.replaceChildren(...page.items.filter((m) => m.id !== params.id).map((m) => h('option', { value: m.id }, m.name || 'Untitled model'))))
    .catch(() => undefined);

  return () => {
    stopLive();
    history.destroy();
    header.destroy();
    bindings.forEach((b) => b.destroy());
    live.destroy();
  };
};
