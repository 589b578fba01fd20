// The History button and the side drawer it opens; the panel's code loads on
// first open only.
import type { DocKind, Role } from '../api/types';
import { h } from '../ui/element';
import { messageOf, notify } from '../ui/notice';

export function historyToggle(button: HTMLButtonElement, opts: { kind: DocKind; id: string; role: Role }): { el: HTMLElement; destroy: () => void } {
  const body = h('div', {});
  const close = h('button', { class: 'link', 'aria-label': 'Close history' }, '×');
  const el = h('aside', { class: 'drawer', hidden: true, 'aria-label': 'History', 'data-testid': 'history-panel' }, h('div', { class: 'row spread' }, h('h2', {}, 'History'), close), body);
  let panel: { destroy: () => void } | null = null;
  const toggle = async (open: boolean) => {
    el.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    // Keyboard users land in the drawer they opened; Escape brings them back.
    if (open) close.focus();
    if (open && !panel) {
      try {
        const { historyPanel } = await import('../history/panel');
        const p = historyPanel(opts);
        panel = p;
        body.append(p.el);
      } catch (err) {
        notify(messageOf(err), 'error');
      }
    } else if (!open && panel) {
      panel.destroy();
      panel = null;
      body.replaceChildren();
      button.focus();
    }
  };
  button.addEventListener('click', () => void toggle(el.hidden));
  close.addEventListener('click', () => void toggle(false));
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') void toggle(false);
  });
  return { el, destroy: () => panel?.destroy() };
}
