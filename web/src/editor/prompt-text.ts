// The CodeMirror 6 editor over the prompt's Y.Text: remote cursors and
// selections with names (y-codemirror.next), highlighted placeholders, and a
// read-only mode for viewers.
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import { defaultKeymap, indentWithTab } from '@codemirror/commands';
import * as Y from 'yjs';
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next';
import type { Awareness } from 'y-protocols/awareness';
import { placeholderHighlight } from './placeholder-highlight';

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '15px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', lineHeight: '1.6' },
  '.cm-content': { padding: '12px 0' },
  // Names stay visible (not only on hover): who is where is the point of a shared editor.
  '.cm-ySelectionInfo': { opacity: '1', fontFamily: 'system-ui, sans-serif', borderRadius: '3px 3px 3px 0', top: '-1.35em', padding: '0 4px' },
  '.cm-ySelectionCaret': { borderLeftWidth: '2px' },
});

const editable = new Compartment();

function editableExtensions(readOnly: boolean) {
  return [EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)];
}

/** Switches read-only on or off (the server may say so after the page opened). */
export function setReadOnly(view: EditorView, readOnly: boolean): void {
  view.dispatch({ effects: editable.reconfigure(editableExtensions(readOnly)) });
}

export function promptTextEditor(parent: HTMLElement, text: Y.Text, awareness: Awareness, readOnly: boolean): EditorView {
  const undoManager = new Y.UndoManager(text);
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: text.toString(),
      extensions: [
        lineNumbers(),
        highlightActiveLine(),
        drawSelection(),
        EditorView.lineWrapping,
        // Tab indents, Escape then Tab leaves the editor (CodeMirror's focus-escape convention).
        keymap.of([...yUndoManagerKeymap, ...defaultKeymap, indentWithTab]),
        yCollab(text, awareness, { undoManager }),
        placeholderHighlight,
        editable.of(editableExtensions(readOnly)),
        EditorView.contentAttributes.of({ 'aria-label': 'Prompt text', 'aria-multiline': 'true' }),
        theme,
      ],
    }),
  });
}
