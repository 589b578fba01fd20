// The workspace's prompts and models: search (REST `q`), tag filter, sort,
// cursor pagination, new prompt / new model, delete.
import { api, query } from '../api/client';
import { canEdit, canManageMembers, type DocumentJson, type DocKind, type Page, plural } from '../api/types';
import { navigate, setQuery, type View } from '../app/router';
import { setTrail } from '../app/shell';
import { h, replaceChildren } from '../ui/element';
import { messageOf, notify } from '../ui/notice';
import { workspaceOf } from '../workspace/membership';

const PAGE_SIZE = 20;
/** Wait this long after the last keystroke before searching. */
const SEARCH_DEBOUNCE_MS = 250;

const SORTS: [string, string][] = [
  ['updated', 'Recently updated'],
  ['-created_at', 'Newest'],
  ['created', 'Oldest'],
  ['title', 'Title A–Z'],
];

function titleOf(d: DocumentJson): string {
  return (d.kind === 'prompt' ? d.title : d.name) || (d.kind === 'prompt' ? 'Untitled prompt' : 'Untitled model');
}

export const documentsView: View = async (outlet, params, initial) => {
  const ws = await workspaceOf(params.ws).catch((e: unknown) => e as Error);
  if (ws instanceof Error) {
    outlet.append(h('p', { class: 'error', role: 'alert' }, ws.message));
    return;
  }
  setTrail([{ label: 'Workspaces', href: '#/' }, { label: ws.name }]);
  const editable = canEdit(ws.role);
  let kind: DocKind = initial.get('kind') === 'models' ? 'model' : 'prompt';
  let cursor: string | null = null;
  let controller: AbortController | null = null;

  const search = h('input', { type: 'search', placeholder: 'Search title, description, content', 'aria-label': 'Search', 'data-testid': 'doc-search', value: initial.get('q') ?? '' });
  const tag = h('input', { type: 'text', placeholder: 'Tag', 'aria-label': 'Filter by tag', 'data-testid': 'doc-tag', value: initial.get('tag') ?? '' });
  const sort = h('select', { 'aria-label': 'Sort', 'data-testid': 'doc-sort' }, SORTS.map(([v, l]) => h('option', { value: v }, l)));
  sort.value = initial.get('sort') ?? 'updated';
  const list = h('ul', { class: 'list docs', 'data-testid': 'doc-list', 'aria-live': 'polite' });
  const more = h('button', { class: 'secondary', hidden: true, 'data-testid': 'doc-more' }, 'Load more');
  const error = h('p', { class: 'error', role: 'alert' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });

  const create = async (k: DocKind) => {
    try {
      const body = k === 'prompt' ? { title: 'Untitled prompt' } : { name: 'Untitled model' };
      const doc = await api.post<DocumentJson>(`/api/workspaces/${ws.id}/${plural(k)}`, body);
      navigate(`/w/${ws.slug}/${plural(k)}/${doc.id}`);
    } catch (err) {
      notify(messageOf(err), 'error');
    }
  };

  const item = (d: DocumentJson) => {
    const li = h(
      'li',
      { class: 'doc', 'data-testid': 'doc-item', 'data-doc-id': d.id },
      h('a', { href: `#/w/${ws.slug}/${plural(d.kind)}/${d.id}` }, titleOf(d)),
      h('span', { class: 'muted small' }, d.description ?? ''),
      h('span', { class: 'tags' }, (d.tags ?? []).map((t) => h('button', { class: 'tag', title: `Only “${t}”`, onclick: () => ((tag.value = t), void reload()) }, t))),
      h('time', { class: 'muted small', datetime: d.updated_at }, new Date(d.updated_at).toLocaleString()),
      editable
        ? h('button', {
            class: 'danger link',
            'aria-label': `Delete ${titleOf(d)}`,
            onclick: async () => {
              if (!confirm(`Delete “${titleOf(d)}”? People editing it are disconnected.`)) return;
              try {
                await api.del(`/api/${plural(d.kind)}/${d.id}`);
                li.remove();
                notify(`Deleted “${titleOf(d)}”.`);
              } catch (err) {
                notify(messageOf(err), 'error');
              }
            },
          }, 'Delete')
        : null,
    );
    return li;
  };

  const fetchPage = async (append: boolean) => {
    controller?.abort();
    controller = new AbortController();
    error.textContent = '';
    list.setAttribute('aria-busy', 'true');
    const q = new URLSearchParams();
    if (kind === 'model') q.set('kind', 'models');
    if (search.value.trim()) q.set('q', search.value.trim());
    if (tag.value.trim() && kind === 'prompt') q.set('tag', tag.value.trim());
    if (sort.value !== 'updated') q.set('sort', sort.value);
    setQuery(q);
    try {
      const page = await api.get<Page<DocumentJson>>(
        `/api/workspaces/${ws.id}/${plural(kind)}${query({
          q: search.value.trim(),
          tag: kind === 'prompt' ? tag.value.trim() : '',
          sort: sort.value,
          limit: PAGE_SIZE,
          cursor: append ? cursor : null,
        })}`,
        { signal: controller.signal },
      );
      cursor = page.next_cursor;
      if (!append) list.replaceChildren();
      list.append(...page.items.map(item));
      if (list.children.length === 0) {
        list.append(h('li', { class: 'muted empty' }, search.value || tag.value ? 'Nothing matches.' : `No ${plural(kind)} yet.`));
      }
      more.hidden = cursor === null;
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      error.textContent = messageOf(err);
    } finally {
      list.removeAttribute('aria-busy');
    }
  };
  const reload = () => fetchPage(false);

  const renderTabs = () => {
    replaceChildren(
      tabs,
      (['prompt', 'model'] as DocKind[]).map((k) =>
        h('button', {
          role: 'tab',
          class: 'tab',
          'aria-selected': String(k === kind),
          'data-testid': `tab-${plural(k)}`,
          onclick: () => {
            kind = k;
            tag.hidden = k === 'model';
            renderTabs();
            void reload();
          },
        }, k === 'prompt' ? 'Prompts' : 'Models'),
      ),
    );
  };
  renderTabs();
  tag.hidden = kind === 'model';

  let timer: ReturnType<typeof setTimeout> | undefined;
  const debounced = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), SEARCH_DEBOUNCE_MS);
  };
  search.addEventListener('input', debounced);
  tag.addEventListener('input', debounced);
  sort.addEventListener('change', () => void reload());
  more.addEventListener('click', () => void fetchPage(true));

  outlet.append(
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'row spread' },
        h('h1', {}, ws.name),
        h(
          'div',
          { class: 'row' },
          canManageMembers(ws.role) ? h('a', { class: 'button secondary', href: `#/w/${ws.slug}/members`, 'data-testid': 'members-link' }, 'Members') : null,
          editable ? h('button', { class: 'primary', 'data-testid': 'new-prompt', onclick: () => void create('prompt') }, 'New prompt') : null,
          editable ? h('button', { class: 'primary', 'data-testid': 'new-model', onclick: () => void create('model') }, 'New model') : null,
        ),
      ),
      editable ? null : h('p', { class: 'muted' }, 'You are a viewer in this workspace: documents open read-only.'),
      tabs,
      h('div', { class: 'row filters' }, search, tag, sort),
      error,
      list,
      more,
    ),
  );
  await reload();
  return () => {
    clearTimeout(timer);
    controller?.abort();
  };
};
