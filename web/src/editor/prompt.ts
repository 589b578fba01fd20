// The prompt editor page: shared text with cursors, title/description/tags/
// settings bound to the shared meta map, the variables panel, try-it and history.
import { canEdit, type Workspace } from '../api/types';
import type { View } from '../app/router';
import { setTrail } from '../app/shell';
import { bindControl, stringBinding } from '../live/bind';
import { openLive } from '../live/connection';
import { META_DESCRIPTION, META_TAGS, META_TITLE, promptRoots, readTags } from '../schema';
import { h } from '../ui/element';
import { messageOf } from '../ui/notice';
import { workspaceOf } from '../workspace/membership';
import { docHeader } from './doc-header';
import { historyToggle } from './history-toggle';
import { promptTextEditor, setReadOnly } from './prompt-text';
import { settingsPanel } from './settings-panel';
import { tryItPanel } from './try-it';
import { variableNames, variablesPanel } from './variables-panel';

/** "a, b ,, a" → ["a", "b"]. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
}

export const promptView: View = async (outlet, params) => {
  let ws: Workspace;
  try {
    ws = await workspaceOf(params.ws);
  } catch (err) {
    outlet.append(h('p', { class: 'error', role: 'alert' }, messageOf(err)));
    return;
  }
  const live = await openLive(params.id, !canEdit(ws.role));
  const roots = promptRoots(live.doc);
  const ro = () => live.readOnly();
  const header = docHeader(live, 'Prompt title');
  setTrail([{ label: 'Workspaces', href: '#/' }, { label: ws.name, href: `#/w/${ws.slug}` }, { label: 'Prompt' }]);

  const editorHost = h('div', { class: 'editor-host', 'data-testid': 'prompt-editor' });
  const description = h('textarea', { rows: 3, 'aria-label': 'Description', 'data-testid': 'doc-description' });
  const tags = h('input', { type: 'text', placeholder: 'support, onboarding', 'aria-label': 'Tags, comma-separated', 'data-testid': 'doc-tags' });
  const variables = variablesPanel(roots, ro);
  const settings = settingsPanel(roots, ro);
  const tryIt = tryItPanel(params.id, () => variableNames(roots));

  const bindings = [
    bindControl(header.title, () => roots.meta, stringBinding(META_TITLE)),
    bindControl(description, () => roots.meta, stringBinding(META_DESCRIPTION)),
    bindControl(tags, () => roots.meta, {
      read: (m) => readTags(m),
      // Tags are one array, replaced as a whole (schema: last writer wins).
      write: (m, v) => m.set(META_TAGS, v),
      parse: (c) => parseTags(c.value),
      show: (c, v) => {
        if (document.activeElement !== c) c.value = v.join(', ');
      },
      event: 'change',
    }),
  ];

  const history = historyToggle(header.historyButton, { kind: 'prompt', id: params.id, role: ws.role });
  const page = h(
    'div',
    { class: 'doc-page' },
    header.el,
    h(
      'div',
      { class: 'doc-body' },
      h('section', { class: 'editor-pane', 'aria-label': 'Prompt text' }, editorHost),
      h(
        'aside',
        { class: 'side' },
        h('details', { open: true }, h('summary', {}, 'Details'),
          h('label', { class: 'field' }, h('span', {}, 'Description'), description),
          h('label', { class: 'field' }, h('span', {}, 'Tags (comma-separated)'), tags),
          h('h3', {}, 'Settings'), settings.el),
        h('details', { open: true }, h('summary', {}, 'Variables'), variables.el),
        h('details', {}, h('summary', {}, 'Try it'), tryIt.el),
      ),
      history.el,
    ),
  );
  outlet.append(page);
  const view = promptTextEditor(editorHost, roots.content, live.awareness, ro());

  const refreshAll = () => {
    for (const b of bindings) b.refresh();
    variables.refresh();
    settings.refresh();
    tryIt.refresh();
    for (const c of [header.title, description, tags]) c.disabled = ro();
  };
  let pending = 0;
  // Placeholders change with the text: batch panel updates per frame while typing.
  const onText = () => {
    if (pending) return;
    pending = requestAnimationFrame(() => {
      pending = 0;
      variables.refresh();
      tryIt.refresh();
    });
  };
  roots.content.observe(onText);
  roots.meta.observe(() => bindings.forEach((b) => b.refresh()));
  roots.variables.observeDeep(() => {
    variables.refresh();
    tryIt.refresh();
  });
  let wasReadOnly = ro();
  const stopLive = live.onChange(() => {
    if (ro() !== wasReadOnly) {
      wasReadOnly = ro();
      setReadOnly(view, wasReadOnly);
      refreshAll();
    }
  });
  refreshAll();

  return () => {
    cancelAnimationFrame(pending);
    stopLive();
    history.destroy();
    header.destroy();
    bindings.forEach((b) => b.destroy());
    view.destroy();
    live.destroy();
  };
};
