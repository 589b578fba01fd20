// Pick a workspace or create one.
import { api } from '../api/client';
import type { Workspace } from '../api/types';
import { navigate, type View } from '../app/router';
import { setTrail } from '../app/shell';
import { h, replaceChildren } from '../ui/element';
import { messageOf } from '../ui/notice';
import { me } from './membership';

export const workspacesView: View = async (outlet) => {
  setTrail([{ label: 'Workspaces' }]);
  const list = h('ul', { class: 'list', 'data-testid': 'workspace-list', 'aria-busy': 'true' });
  const name = h('input', { type: 'text', required: true, maxlength: 100, placeholder: 'Acme prompts', 'data-testid': 'workspace-name' });
  const slug = h('input', { type: 'text', maxlength: 64, placeholder: 'optional: acme', pattern: '[a-z0-9]([a-z0-9-]*[a-z0-9])?' });
  const error = h('p', { class: 'error', role: 'alert' });
  const create = h(
    'form',
    { class: 'inline-form' },
    h('label', { class: 'field' }, h('span', {}, 'Name'), name),
    h('label', { class: 'field' }, h('span', {}, 'Slug'), slug),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'workspace-create' }, 'Create workspace'),
  );
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const ws = await api.post<Workspace>('/api/workspaces', { name: name.value.trim(), slug: slug.value.trim() || undefined });
      await me(true);
      navigate(`/w/${ws.slug}`);
    } catch (err) {
      error.textContent = messageOf(err);
    }
  });
  outlet.append(
    h('section', { class: 'card' }, h('h1', {}, 'Your workspaces'), list),
    h('section', { class: 'card' }, h('h2', {}, 'New workspace'), create, error),
  );
  try {
    const { workspaces } = await me(true);
    list.removeAttribute('aria-busy');
    replaceChildren(
      list,
      workspaces.length === 0
        ? h('li', { class: 'muted' }, 'You are not in any workspace yet: create one below, or ask an admin to add you.')
        : workspaces.map((w) =>
            h('li', {}, h('a', { href: `#/w/${encodeURIComponent(w.slug)}` }, w.name), ' ', h('span', { class: `badge role-${w.role}` }, w.role)),
          ),
    );
  } catch (err) {
    replaceChildren(list, h('li', { class: 'error' }, messageOf(err)));
  }
};
