// Two-way binding of form controls to one key of a shared Y.Map: local input
// writes the key, remote changes update the control without stealing the
// caret. Each key is last-writer-wins, so different keys never clash.
import type * as Y from 'yjs';

export interface Binding {
  /** Re-reads the value (after the map itself was replaced, say). */
  refresh(): void;
  destroy(): void;
}

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

export interface BindOptions<T> {
  read: (map: Y.Map<unknown>) => T;
  write: (map: Y.Map<unknown>, value: T) => void;
  /** Control value → stored value. */
  parse: (control: Control) => T;
  /** Stored value → control. */
  show: (control: Control, value: T) => void;
  /** `input` writes on every keystroke (live); `change` on commit. */
  event?: 'input' | 'change';
}

/** Binds `control` to whatever `map()` returns (the map may be created later). */
export function bindControl<T>(control: Control, map: () => Y.Map<unknown> | null, opts: BindOptions<T>): Binding {
  const apply = () => {
    const m = map();
    if (!m) return;
    const value = opts.read(m);
    if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      opts.show(control, value);
      return;
    }
    const before = control.value;
    opts.show(control, value);
    if (control.value !== before && document.activeElement === control && !(control instanceof HTMLSelectElement)) {
      // Keep the caret where it was, as far as the new text allows.
      const pos = Math.min((control as HTMLInputElement).selectionStart ?? control.value.length, control.value.length);
      (control as HTMLInputElement).setSelectionRange(pos, pos);
    }
  };
  const onLocal = () => {
    const m = map();
    if (!m) return;
    const value = opts.parse(control);
    m.doc!.transact(() => opts.write(m, value));
  };
  const event = opts.event ?? (control instanceof HTMLSelectElement || (control instanceof HTMLInputElement && control.type === 'checkbox') ? 'change' : 'input');
  control.addEventListener(event, onLocal);
  apply();
  return {
    refresh: apply,
    destroy: () => control.removeEventListener(event, onLocal),
  };
}

/** A string key bound to a text control. */
export function stringBinding(key: string): BindOptions<string> {
  return {
    read: (m) => {
      const v = m.get(key);
      return typeof v === 'string' ? v : '';
    },
    write: (m, v) => m.set(key, v),
    parse: (c) => c.value,
    show: (c, v) => {
      if (c.value !== v) c.value = v;
    },
  };
}

/** A boolean key bound to a checkbox. */
export function boolBinding(key: string, fallback: boolean): BindOptions<boolean> {
  return {
    read: (m) => {
      const v = m.get(key);
      return typeof v === 'boolean' ? v : fallback;
    },
    write: (m, v) => m.set(key, v),
    parse: (c) => (c as HTMLInputElement).checked,
    show: (c, v) => {
      (c as HTMLInputElement).checked = v;
    },
  };
}
