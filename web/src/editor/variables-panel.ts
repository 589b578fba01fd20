// Every placeholder of the content plus declared-but-unused variables (the
// server's order: first appearance, then by name), each with its declared
// description, default and required flag, editable live.
import * as Y from 'yjs';
import { extract } from '../prompt/placeholders';
import {
  DEFAULT_REQUIRED, VAR_DEFAULT, VAR_DESCRIPTION, VAR_REQUIRED, readVariable, variableForWrite, type PromptRoots,
} from '../schema';
import { h, replaceChildren } from '../ui/element';

/** Variable names as the server lists them. */
export function variableNames(roots: PromptRoots): string[] {
  const used = extract(roots.content.toString());
  const declared = [...roots.variables.keys()].filter((n) => !used.includes(n)).sort();
  return [...used, ...declared];
}

interface Row {
  el: HTMLElement;
  description: HTMLInputElement;
  defaultValue: HTMLInputElement;
  required: HTMLInputElement;
  status: HTMLElement;
}

export function variablesPanel(roots: PromptRoots, readOnly: () => boolean): { el: HTMLElement; refresh: () => void } {
  const list = h('div', { class: 'vars', 'data-testid': 'variables-panel' });
  const rows = new Map<string, Row>();
  const doc = roots.content.doc!;

  const write = (name: string, key: string, value: unknown) => {
    doc.transact(() => variableForWrite(roots.variables, name).set(key, value));
  };

  const makeRow = (name: string): Row => {
    const id = `var-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const description = h('input', { type: 'text', id: `${id}-d`, placeholder: 'What goes here', 'data-testid': 'variable-description' });
    const defaultValue = h('input', { type: 'text', id: `${id}-v`, placeholder: 'no default', 'data-testid': 'variable-default' });
    const required = h('input', { type: 'checkbox', id: `${id}-r`, 'data-testid': 'variable-required' });
    const status = h('span', { class: 'muted small' });
    description.addEventListener('input', () => write(name, VAR_DESCRIPTION, description.value));
    // An empty default box means "no default" (null), the server's absent value.
    defaultValue.addEventListener('input', () => write(name, VAR_DEFAULT, defaultValue.value === '' ? null : defaultValue.value));
    required.addEventListener('change', () => write(name, VAR_REQUIRED, required.checked));
    const remove = h('button', {
      class: 'link danger small',
      'aria-label': `Remove the declaration of ${name}`,
      onclick: () => doc.transact(() => roots.variables.delete(name)),
    }, 'Remove');
    const el = h(
      'fieldset',
      { class: 'var', 'data-testid': 'variable-row', 'data-name': name },
      h('legend', {}, h('code', {}, `{{${name}}}`), ' ', status, roots.variables.has(name) ? remove : null),
      h('label', { class: 'field', for: description.id }, h('span', {}, 'Description'), description),
      h('div', { class: 'row' },
        h('label', { class: 'field grow', for: defaultValue.id }, h('span', {}, 'Default'), defaultValue),
        h('label', { class: 'check', for: required.id }, required, ' Required'),
      ),
    );
    return { el, description, defaultValue, required, status };
  };

  const setIfIdle = (input: HTMLInputElement, value: string) => {
    // Do not fight the person typing in this very box.
    if (document.activeElement !== input && input.value !== value) input.value = value;
  };

  const refresh = () => {
    const names = variableNames(roots);
    const used = new Set(extract(roots.content.toString()));
    for (const [name, row] of rows) {
      if (!names.includes(name)) {
        row.el.remove();
        rows.delete(name);
      }
    }
    names.forEach((name, i) => {
      let row = rows.get(name);
      const declared = roots.variables.get(name) instanceof Y.Map;
      if (row && row.el.querySelector('legend button') === null && declared) {
        // Became declared: rebuild so it gets its Remove button.
        row.el.remove();
        row = undefined;
      }
      if (!row) {
        row = makeRow(name);
        rows.set(name, row);
      }
      const v = readVariable(roots.variables, name);
      setIfIdle(row.description, v.description);
      setIfIdle(row.defaultValue, v.default ?? '');
      row.required.checked = declared ? v.required : DEFAULT_REQUIRED;
      row.status.textContent = used.has(name) ? '' : 'not used in the text';
      for (const input of [row.description, row.defaultValue, row.required]) input.disabled = readOnly();
      if (list.children[i] !== row.el) list.insertBefore(row.el, list.children[i] ?? null);
    });
    if (names.length === 0) {
      if (!list.querySelector('.empty')) replaceChildren(list, h('p', { class: 'muted empty' }, 'No variables yet: write {{name}} in the text.'));
    } else {
      list.querySelector('.empty')?.remove();
    }
  };
  return { el: list, refresh };
}
