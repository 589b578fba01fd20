// Marks every live `{{variable}}` in the prompt text, using the same parser as
// the server, so what is highlighted is exactly what will be substituted.
import { RangeSetBuilder } from '@codemirror/state';
import { Decoration, EditorView, ViewPlugin, type DecorationSet, type ViewUpdate } from '@codemirror/view';
import { find } from '../prompt/placeholders';

const mark = Decoration.mark({ class: 'cm-variable' });

function decorations(view: EditorView): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>();
  // Prompts are small; parsing the whole text keeps escapes that span the
  // viewport edge right.
  for (const p of find(view.state.doc.toString())) builder.add(p.from, p.to, mark);
  return builder.finish();
}

export const placeholderHighlight = [
  ViewPlugin.fromClass(
    class {
      decorations: DecorationSet;
      constructor(view: EditorView) {
        this.decorations = decorations(view);
      }
      update(update: ViewUpdate) {
        if (update.docChanged) this.decorations = decorations(update.view);
      }
    },
    { decorations: (v) => v.decorations },
  ),
  EditorView.baseTheme({
    '.cm-variable': { color: '#0b5cad', backgroundColor: '#e5f0fb', borderRadius: '3px', fontWeight: '600' },
  }),
];
