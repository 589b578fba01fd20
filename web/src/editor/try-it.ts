// Renders the prompt with values through the REST render endpoint, so what
// you see is exactly what programs get.
import { api } from '../api/client';
import type { RenderResult } from '../api/types';
import { h, replaceChildren } from '../ui/element';
import { messageOf } from '../ui/notice';

export function tryItPanel(docId: string, names: () => string[]): { el: HTMLElement; refresh: () => void } {
  const values = new Map<string, string>();
  const inputs = h('div', { class: 'try-inputs' });
  const output = h('pre', { class: 'rendered', 'data-testid': 'render-output', 'aria-live': 'polite' });
  const missing = h('p', { class: 'muted small', 'data-testid': 'render-missing' });
  const run = h('button', { type: 'submit', class: 'primary', 'data-testid': 'render-run' }, 'Render');
  const form = h('form', {}, inputs, run);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    run.disabled = true;
    const variables: Record<string, string> = {};
    for (const name of names()) {
      const v = values.get(name);
      // Blank means "not given": the declared default or a "missing" applies.
      if (v) variables[name] = v;
    }
    try {
      const result = await api.post<RenderResult>(`/api/prompts/${docId}/render`, { variables });
      output.textContent = result.text;
      missing.textContent = result.missing.length ? `Missing: ${result.missing.join(', ')}` : '';
    } catch (err) {
      output.textContent = '';
      missing.textContent = messageOf(err);
    } finally {
      run.disabled = false;
    }
  });
  let shown: string | null = null;
  const refresh = () => {
    const list = names();
    // Rebuild only when the set of variables changed, so typing keeps its caret.
    if (shown === list.join('\n')) return;
    shown = list.join('\n');
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.var;
    replaceChildren(
      inputs,
      list.length === 0
        ? h('p', { class: 'muted small' }, 'No variables to fill in.')
        : list.map((name) => {
            const input = h('input', { type: 'text', value: values.get(name) ?? '', 'data-var': name, 'aria-label': `Value of ${name}` });
            input.addEventListener('input', () => values.set(name, input.value));
            return h('label', { class: 'field' }, h('span', {}, h('code', {}, name)), input);
          }),
    );
    if (focused) (inputs.querySelector(`input[data-var="${CSS.escape(focused)}"]`) as HTMLInputElement | null)?.focus();
  };
  refresh();
  return { el: h('div', {}, form, missing, output), refresh };
}
