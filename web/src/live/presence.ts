// Avatars of everyone in the document, from awareness (names stamped by the
// server from each connection's token, so nobody can pose as someone else).
import type { Awareness } from 'y-protocols/awareness';
import { h, replaceChildren } from '../ui/element';

interface PresentUser {
  id?: string;
  name?: string;
  color?: string;
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] ?? '?').slice(0, 2)).toUpperCase();
}

/** A live list of avatars; call the returned cleanup when leaving. */
export function presenceList(awareness: Awareness): { el: HTMLElement; destroy: () => void } {
  const el = h('ul', { class: 'presence', 'data-testid': 'presence-list', 'aria-label': 'People in this document' });
  const render = () => {
    // One avatar per person, even with several tabs open.
    const people = new Map<string, PresentUser & { self: boolean }>();
    awareness.getStates().forEach((state, clientId) => {
      const user = (state as { user?: PresentUser }).user;
      if (!user?.name) return;
      const key = user.id ?? `client-${clientId}`;
      const self = clientId === awareness.clientID;
      if (!people.has(key) || self) people.set(key, { ...user, self });
    });
    replaceChildren(
      el,
      [...people.values()]
        .sort((a, b) => Number(b.self) - Number(a.self) || (a.name ?? '').localeCompare(b.name ?? ''))
        .map((p) =>
          h(
            'li',
            { class: 'avatar', style: `background:${p.color ?? '#666'}`, title: p.self ? `${p.name} (you)` : p.name!, 'data-name': p.name! },
            h('span', { 'aria-hidden': 'true' }, initials(p.name!)),
            h('span', { class: 'sr-only' }, p.self ? `${p.name} (you)` : p.name!),
          ),
        ),
    );
  };
  awareness.on('change', render);
  render();
  return { el, destroy: () => awareness.off('change', render) };
}
