// The prompt's model settings (temperature, max_tokens, …): a nested shared
// map key → JSON value, so two people changing different settings both win.
import { readSettings, settingsForWrite, META_SETTINGS, type Json, type PromptRoots } from '../schema';
import { h, replaceChildren } from '../ui/element';

/** Typed text → JSON: numbers, booleans, null, arrays and objects as JSON, anything else as a string. */
export function parseSetting(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

export function showSetting(value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function settingsPanel(roots: PromptRoots, readOnly: () => boolean): { el: HTMLElement; refresh: () => void } {
  const doc = roots.meta.doc!;
  const rows = h('div', { class: 'settings' });
  const key = h('input', { type: 'text', placeholder: 'temperature', 'aria-label': 'New setting name', 'data-testid': 'setting-key' });
  const value = h('input', { type: 'text', placeholder: '0.7', 'aria-label': 'New setting value', 'data-testid': 'setting-value' });
  const add = h('form', { class: 'row' }, key, value, h('button', { type: 'submit', class: 'secondary' }, 'Add'));
  add.addEventListener('submit', (e) => {
    e.preventDefault();
    const k = key.value.trim();
    if (!k) return;
    doc.transact(() => settingsForWrite(roots.meta).set(k, parseSetting(value.value)));
    key.value = '';
    value.value = '';
    key.focus();
  });

  const refresh = () => {
    const settings = readSettings(roots.meta);
    const focused = document.activeElement;
    const editing = focused instanceof HTMLInputElement && rows.contains(focused) ? focused.dataset.key : undefined;
    replaceChildren(
      rows,
      Object.keys(settings)
        .sort()
        .map((k) => {
          const input = h('input', { type: 'text', value: showSetting(settings[k]), 'aria-label': `Setting ${k}`, 'data-key': k, disabled: readOnly() });
          input.addEventListener('change', () => doc.transact(() => settingsForWrite(roots.meta).set(k, parseSetting(input.value))));
          return h(
            'div',
            { class: 'row setting' },
            h('code', { class: 'grow' }, k),
            input,
            readOnly() ? null : h('button', { class: 'link danger small', 'aria-label': `Remove setting ${k}`, onclick: () => doc.transact(() => settingsForWrite(roots.meta).delete(k)) }, 'Remove'),
          );
        }),
    );
    if (editing) (rows.querySelector(`input[data-key="${CSS.escape(editing)}"]`) as HTMLInputElement | null)?.focus();
    add.hidden = readOnly();
  };
  roots.meta.observeDeep((events) => {
    if (events.some((e) => e.target !== roots.meta || (e as { keysChanged?: Set<string> }).keysChanged?.has(META_SETTINGS))) refresh();
  });
  return { el: h('div', {}, rows, add), refresh };
}
