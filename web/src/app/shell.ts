// The frame around every page: brand, where you are, who you are, sign out.
import { session } from '../auth/session';
import { h, replaceChildren } from '../ui/element';

export interface Crumb {
  label: string;
  href?: string;
}

let trailSetter: (items: Crumb[]) => void = () => undefined;

/** Sets the breadcrumb links of the current page. */
export function setTrail(items: Crumb[]): void {
  trailSetter(items);
}

/** Builds the frame; returns the element pages render into. */
export function mountShell(root: HTMLElement): HTMLElement {
  const trail = h('nav', { class: 'trail', 'aria-label': 'Breadcrumb' });
  const who = h('div', { class: 'who' });
  const outlet = h('main', { id: 'main', tabindex: '-1' });
  root.replaceChildren(
    h('a', { class: 'skip', href: '#main', onclick: (e: Event) => (e.preventDefault(), outlet.focus()) }, 'Skip to content'),
    h('header', { class: 'topbar' }, h('a', { class: 'brand', href: '#/' }, 'Rocqet Hub'), trail, who),
    outlet,
  );
  const renderWho = () => {
    const user = session.user;
    replaceChildren(
      who,
      user && h('span', { class: 'muted', 'data-testid': 'current-user' }, user.name),
      user &&
        h('button', { class: 'link', 'data-testid': 'logout', onclick: () => void session.logout() }, 'Sign out'),
    );
  };
  renderWho();
  session.onChange(renderWho);
  trailSetter = (items) => {
    replaceChildren(
      trail,
      items.flatMap((item, i) => [
        i > 0 ? h('span', { class: 'sep', 'aria-hidden': 'true' }, '/') : null,
        item.href ? h('a', { href: item.href }, item.label) : h('span', { 'aria-current': 'page' }, item.label),
      ]),
    );
  };
  return outlet;
}
