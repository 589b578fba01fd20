// Members of a workspace: admins and owners add by email, change roles, remove.
import { api } from '../api/client';
import { canManageMembers, ROLES, type Member, type Role } from '../api/types';
import type { View } from '../app/router';
import { setTrail } from '../app/shell';
import { h, replaceChildren } from '../ui/element';
import { messageOf, notify } from '../ui/notice';
import { workspaceOf } from './membership';

export const membersView: View = async (outlet, params) => {
  const ws = await workspaceOf(params.ws).catch((e: unknown) => e as Error);
  if (ws instanceof Error) {
    outlet.append(h('p', { class: 'error', role: 'alert' }, ws.message));
    return;
  }
  const base = `/api/workspaces/${encodeURIComponent(ws.id)}/members`;
  setTrail([{ label: 'Workspaces', href: '#/' }, { label: ws.name, href: `#/w/${ws.slug}` }, { label: 'Members' }]);
  const admin = canManageMembers(ws.role);
  const table = h('tbody', {});
  const error = h('p', { class: 'error', role: 'alert' });

  const roleSelect = (value: Role, onChange?: (r: Role) => void, label = 'Role') => {
    const s = h('select', { 'aria-label': label, disabled: !admin }, ROLES.map((r) => h('option', { value: r }, r)));
    s.value = value;
    if (onChange) s.addEventListener('change', () => onChange(s.value as Role));
    return s;
  };

  const load = async () => {
    try {
      const { items } = await api.get<{ items: Member[] }>(base);
      replaceChildren(
        table,
        items.map((m) =>
          h(
            'tr',
            { 'data-testid': 'member-row' },
            h('td', {}, m.name ?? h('em', {}, 'invited')),
            h('td', {}, m.email),
            h(
              'td',
              {},
              m.user_id
                ? roleSelect(m.role, async (role) => {
                    try {
                      await api.patch(`${base}/${m.user_id}`, { role });
                      notify(`${m.email} is now ${role}.`);
                    } catch (err) {
                      notify(messageOf(err), 'error');
                    }
                    await load();
                  }, `Role of ${m.email}`)
                : m.role,
            ),
            h('td', {}, m.status),
            h(
              'td',
              {},
              admin && m.user_id
                ? h('button', {
                    class: 'danger link',
                    onclick: async () => {
                      if (!confirm(`Remove ${m.email} from ${ws.name}?`)) return;
                      try {
                        await api.del(`${base}/${m.user_id}`);
                      } catch (err) {
                        notify(messageOf(err), 'error');
                      }
                      await load();
                    },
                  }, 'Remove')
                : null,
            ),
          ),
        ),
      );
    } catch (err) {
      error.textContent = messageOf(err);
    }
  };

  const email = h('input', { type: 'email', required: true, placeholder: 'name@example.com', 'data-testid': 'member-email' });
  const role = roleSelect('editor');
  const add = h(
    'form',
    { class: 'inline-form' },
    h('label', { class: 'field' }, h('span', {}, 'Email'), email),
    h('label', { class: 'field' }, h('span', {}, 'Role'), role),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'member-add' }, 'Add member'),
  );
  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await api.post(base, { email: email.value.trim(), role: role.value });
      email.value = '';
      await load();
    } catch (err) {
      error.textContent = messageOf(err);
    }
  });

  outlet.append(
    h(
      'section',
      { class: 'card' },
      h('h1', {}, `Members of ${ws.name}`),
      admin ? null : h('p', { class: 'muted' }, 'Only admins and owners can change members.'),
      h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Email'), h('th', {}, 'Role'), h('th', {}, 'Status'), h('th', {}, ''))), table),
      admin ? add : null,
      error,
    ),
  );
  await load();
};
