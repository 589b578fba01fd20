// The bar above both editors: a bound name/title, save status, presence,
// history button, and the read-only banner for viewers.
import type { LiveDoc } from '../live/connection';
import { presenceList } from '../live/presence';
import { h } from '../ui/element';

export interface DocHeader {
  el: HTMLElement;
  title: HTMLInputElement;
  historyButton: HTMLButtonElement;
  banner: HTMLElement;
  destroy(): void;
}

export function docHeader(live: LiveDoc, titleLabel: string): DocHeader {
  const title = h('input', { type: 'text', class: 'doc-title', 'aria-label': titleLabel, 'data-testid': 'doc-title', maxlength: 500 });
  const status = h('span', { class: 'save-status', 'data-testid': 'save-status', role: 'status', 'aria-live': 'polite' });
  const historyButton = h('button', { class: 'secondary', 'data-testid': 'history-open', 'aria-expanded': 'false' }, 'History');
  const presence = presenceList(live.awareness);
  const banner = h('p', { class: 'banner', role: 'note', 'data-testid': 'read-only-banner', hidden: true }, 'Read-only: you are a viewer in this workspace, so you can look but not change anything.');
  const render = () => {
    const s = live.status();
    status.textContent = s.label;
    status.dataset.kind = s.kind;
    banner.hidden = !live.readOnly();
  };
  const stop = live.onChange(render);
  render();
  const el = h('div', { class: 'doc-head' }, h('div', { class: 'row spread' }, title, h('div', { class: 'row' }, status, presence.el, historyButton)), banner);
  return {
    el,
    title,
    historyButton,
    banner,
    destroy() {
      stop();
      presence.destroy();
    },
  };
}
