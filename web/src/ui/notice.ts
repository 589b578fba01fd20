// Page-level messages: API errors and other things the person should read.
// One live region, so screen readers announce them too.
import { h } from './element';

let region: HTMLElement | null = null;

function ensureRegion(): HTMLElement {
  if (!region || !region.isConnected) {
    region = h('div', { class: 'notices', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  return region;
}

/** Shows a message for a while; errors stay until dismissed. */
export function notify(message: string, kind: 'info' | 'error' = 'info'): void {
  const close = h('button', { class: 'link', 'aria-label': 'Dismiss' }, '×');
  const item = h('div', { class: `notice notice-${kind}`, 'data-testid': `notice-${kind}` }, h('span', {}, message), close);
  close.addEventListener('click', () => item.remove());
  ensureRegion().append(item);
  if (kind === 'info') setTimeout(() => item.remove(), 4000);
}

/** The message to show for anything thrown: the API's own message when there is one. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
