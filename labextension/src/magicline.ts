/**
 * Keeps the `%%edge PATH` line readable in a cell highlighted as TypeScript, where it is not valid
 * code: the line gets one style of its own instead of the parser's guesses.
 */

import { EditorState, Extension, StateField } from '@codemirror/state';
import { Decoration, DecorationSet, EditorView } from '@codemirror/view';

import { isDeployCell } from './magic';

const magicLineMark = Decoration.line({ class: 'cm-nbr-magic' });

function magicLines(state: EditorState): DecorationSet {
  const first = state.doc.line(1);
  return isDeployCell(first.text) ? Decoration.set([magicLineMark.range(first.from)]) : Decoration.none;
}

export const magicLine: Extension = StateField.define<DecorationSet>({
  create: magicLines,
  update: (marks, transaction) => (transaction.docChanged ? magicLines(transaction.state) : marks),
  provide: field => EditorView.decorations.from(field)
});
