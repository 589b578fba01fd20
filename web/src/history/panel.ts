// The history panel: versions (author, time, message, labels), view one, diff
// any two, cut a version, move a label, restore. Restore is a live edit on the
// server, so every open editor (this one too) updates through its socket.
import { api, query } from '../api/client';
import { canEdit, plural, type DocKind, type DocumentJson, type Page, type Role, type Version } from '../api/types';
import { h, replaceChildren } from '../ui/element';
import { messageOf, notify } from '../ui/notice';
import { diffRows, type DiffBody } from './diff-rows';
import { diffElement } from './diff-view';

const PAGE_SIZE = 30;
/** Versions are also cut by the server (pauses, last leave): look for new ones this often. */
const POLL_MS = 5000;

export interface HistoryOptions {
  kind: DocKind;
  id: string;
  role: Role;
}

function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

export function historyPanel(opts: HistoryOptions): { el: HTMLElement; destroy: () => void } {
  const base = `/api/${plural(opts.kind)}/${opts.id}`;
  const editor = canEdit(opts.role);
  let versions: Version[] = [];
  let cursor: string | null = null;

  const list = h('ol', { class: 'versions', 'data-testid': 'version-list', 'aria-live': 'polite' });
  const more = h('button', { class: 'secondary small', hidden: true }, 'Older versions');
  const output = h('div', { class: 'history-output', tabindex: '-1' });
  const error = h('p', { class: 'error', role: 'alert' });
  const fromSel = h('select', { 'aria-label': 'Compare from version', 'data-testid': 'diff-from' });
  const toSel = h('select', { 'aria-label': 'Compare to version', 'data-testid': 'diff-to' });
  const labelVersion = h('select', { 'aria-label': 'Version for the label', 'data-testid': 'label-version' });
  const message = h('input', { type: 'text', maxlength: 1000, placeholder: 'What changed', 'aria-label': 'Version message', 'data-testid': 'version-message' });
  const labelName = h('input', { type: 'text', placeholder: 'production', 'aria-label': 'Label', 'data-testid': 'label-name' });

  const fail = (err: unknown) => {
    error.textContent = messageOf(err);
  };

  const fillSelects = () => {
    const keep = [fromSel.value, toSel.value, labelVersion.value];
    for (const sel of [fromSel, toSel, labelVersion]) {
      replaceChildren(sel, versions.map((v) => h('option', { value: v.number }, `#${v.number}${v.message ? ` — ${v.message}` : ''}`)));
    }
    if (sel(fromSel, keep[0]) === false && versions.length > 1) fromSel.value = String(versions[1].number);
    sel(toSel, keep[1]);
    sel(labelVersion, keep[2]);
  };
  const sel = (s: HTMLSelectElement, value: string): boolean => {
    if (value && [...s.options].some((o) => o.value === value)) {
      s.value = value;
      return true;
    }
    return false;
  };

  const item = (v: Version) =>
    h(
      'li',
      { class: 'version', 'data-testid': 'version-item', 'data-number': v.number },
      h(
        'div',
        { class: 'row spread' },
        h('strong', {}, `#${v.number}`),
        h('span', { class: `badge kind-${v.kind}` }, v.kind === 'restore' && v.restored_from ? `restore of #${v.restored_from}` : v.kind),
        h('time', { class: 'muted small', datetime: v.created_at }, when(v.created_at)),
      ),
      v.message ? h('p', { class: 'message' }, v.message) : null,
      h(
        'div',
        { class: 'row small' },
        h('span', { class: 'muted' }, v.author?.name ?? 'unknown author'),
        v.labels.map((l) =>
          h('span', { class: 'label', 'data-testid': 'version-label' }, l,
            editor ? h('button', { class: 'link', 'aria-label': `Remove label ${l}`, onclick: () => void removeLabel(l) }, '×') : null),
        ),
      ),
      h(
        'div',
        { class: 'row small' },
        h('button', { class: 'link', 'data-testid': 'version-view', onclick: () => void view(v.number) }, 'View'),
        h('button', {
          class: 'link',
          'data-testid': 'version-compare',
          disabled: v.number === 1 && versions.length === 1 ? false : undefined,
          onclick: () => {
            toSel.value = String(v.number);
            const prev = versions.find((x) => x.number < v.number);
            if (prev) fromSel.value = String(prev.number);
            void diff(prev ? prev.number : null, v.number);
          },
        }, 'Changes'),
        editor ? h('button', { class: 'link', 'data-testid': 'restore-version', onclick: () => void restore(v.number) }, 'Restore') : null,
      ),
    );

  const load = async (append = false) => {
    try {
      const page = await api.get<Page<Version>>(`${base}/versions${query({ limit: PAGE_SIZE, cursor: append ? cursor : null })}`);
      versions = append ? [...versions, ...page.items] : page.items;
      cursor = page.next_cursor;
      more.hidden = cursor === null;
      replaceChildren(list, versions.length ? versions.map(item) : h('li', { class: 'muted' }, 'No versions yet. Versions are saved when editing pauses, or save one now.'));
      fillSelects();
      error.textContent = '';
    } catch (err) {
      fail(err);
    }
  };

  const view = async (n: number) => {
    try {
      const doc = await api.get<DocumentJson>(`${base}/versions/${n}`);
      replaceChildren(output, h('h3', {}, `Version #${n}`), versionContent(doc));
      output.dataset.testid = 'version-view';
      output.focus();
    } catch (err) {
      fail(err);
    }
  };

  const diff = async (from: number | null, to: number) => {
    try {
      const body = await api.get<DiffBody>(`${base}/versions/${to}/diff${query({ from })}`);
      let names = new Map<string, string>();
      if (opts.kind === 'model') {
        const doc = await api.get<DocumentJson>(`${base}/versions/${to}`);
        names = new Map([...(doc.fields ?? []), ...(doc.relations ?? [])].map((i) => [i.id, i.name]));
      }
      replaceChildren(
        output,
        h('h3', {}, body.from === null ? `Changes in #${body.to}` : `Changes from #${body.from} to #${body.to}`),
        h('div', { 'data-testid': 'version-diff' }, diffElement(diffRows(body, names))),
      );
      output.dataset.testid = 'diff-output';
      output.focus();
    } catch (err) {
      fail(err);
    }
  };

  const restore = async (n: number) => {
    try {
      const v = await api.post<Version>(`${base}/versions/${n}/restore`);
      notify(`Restored version #${n} as #${v.number}.`);
      await load();
    } catch (err) {
      fail(err);
    }
  };

  const removeLabel = async (label: string) => {
    try {
      await api.del(`${base}/labels/${encodeURIComponent(label)}`);
      await load();
    } catch (err) {
      fail(err);
    }
  };

  const cutForm = h('form', { class: 'row' }, message, h('button', { type: 'submit', class: 'primary', 'data-testid': 'version-cut' }, 'Save version'));
  cutForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const v = await api.post<Version>(`${base}/versions`, { message: message.value.trim() || undefined });
      message.value = '';
      notify(`Version #${v.number} saved.`);
      await load();
    } catch (err) {
      fail(err);
    }
  });
  const compareForm = h('form', { class: 'row' }, fromSel, h('span', { 'aria-hidden': 'true' }, '→'), toSel, h('button', { type: 'submit', class: 'secondary', 'data-testid': 'diff-run' }, 'Compare'));
  compareForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (toSel.value) void diff(fromSel.value ? Number(fromSel.value) : null, Number(toSel.value));
  });
  const labelForm = h('form', { class: 'row' }, labelName, labelVersion, h('button', { type: 'submit', class: 'secondary', 'data-testid': 'label-move' }, 'Set label'));
  labelForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const label = labelName.value.trim();
    if (!label || !labelVersion.value) return;
    try {
      await api.put(`${base}/labels/${encodeURIComponent(label)}`, { version: Number(labelVersion.value) });
      labelName.value = '';
      await load();
    } catch (err) {
      fail(err);
    }
  });
  more.addEventListener('click', () => void load(true));

  const el = h(
    'div',
    { class: 'history' },
    editor ? cutForm : null,
    h('h3', {}, 'Compare'),
    compareForm,
    editor ? h('h3', {}, 'Labels') : null,
    editor ? labelForm : null,
    error,
    h('h3', {}, 'Versions'),
    list,
    more,
    output,
  );
  void load();
  const timer = setInterval(() => {
    // Only the first page; older pages do not change.
    if (!cursor || versions.length <= PAGE_SIZE) void load();
  }, POLL_MS);
  return { el, destroy: () => clearInterval(timer) };
}

function versionContent(doc: DocumentJson): HTMLElement {
  if (doc.kind === 'prompt') {
    return h(
      'div',
      { class: 'version-content' },
      h('p', {}, h('strong', {}, doc.title || 'Untitled'), doc.tags?.length ? ` · ${doc.tags.join(', ')}` : ''),
      doc.description ? h('p', { class: 'muted' }, doc.description) : null,
      h('pre', { class: 'rendered' }, doc.content ?? ''),
    );
  }
  return h(
    'div',
    { class: 'version-content' },
    h('p', {}, h('strong', {}, doc.name || 'Untitled')),
    h(
      'table',
      { class: 'grid small' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Field'), h('th', {}, 'Type'), h('th', {}, 'Required'), h('th', {}, 'Unique'))),
      h('tbody', {}, (doc.fields ?? []).map((f) => h('tr', {}, h('td', {}, f.name), h('td', {}, f.type), h('td', {}, f.required ? 'yes' : ''), h('td', {}, f.unique ? 'yes' : '')))),
    ),
    (doc.relations ?? []).length ? h('p', { class: 'small' }, 'Relations: ', (doc.relations ?? []).map((r) => `${r.name} (${r.kind})`).join(', ')) : null,
  );
}
