/**
 * Live compatibility diagnostics in the cell editor: a squiggle under each problem and a hover with the
 * deploy's own words. The problems come from the server (`POST /nbruntime/check`), which runs the same
 * analyzer as the deploy; this file only decides when to ask and how to draw the answer.
 */

import { EditorState, Extension, StateEffect, StateField } from '@codemirror/state';
import { Decoration, DecorationSet, EditorView, ViewPlugin, ViewUpdate, hoverTooltip } from '@codemirror/view';

import { isDeployCell } from './magic';
import { magicLine } from './magicline';

/** One problem, placed by the server as offsets into the cell text (magic line included). */
export interface IProblem {
  from: number;
  to: number;
  line: number;
  column: number;
  api: string;
  rule: string;
  /** The runtime it is a problem for: a `%%compare` cell is checked for both. */
  runtime: 'edge' | 'nodejs';
  severity: 'error' | 'warning';
  phase: 'build' | 'run';
  message: string;
  hint: string;
  dev: string;
  /** The one-line report the deploy prints for this problem. */
  text: string;
}

/** The server's answer for one cell text. */
export interface ICheckResult {
  runtime: string | null;
  path: string | null;
  /** The code does not parse yet: the user is still typing, so what is shown stays. */
  incomplete: boolean;
  problems: IProblem[];
}

export type Checker = (source: string, signal: AbortSignal) => Promise<ICheckResult>;

/** Quiet time after a keystroke before the cell is checked; a check takes a few ms on the server. */
export const DEBOUNCE_MS = 200;

const setProblems = StateEffect.define<IProblem[]>();

function decorate(problems: IProblem[], state: EditorState): DecorationSet {
  const marks = problems
    .filter(p => p.from < p.to && p.to <= state.doc.length)
    .map(p =>
      Decoration.mark({
        class: `cm-nbr-diagnostic cm-nbr-${p.severity}`,
        attributes: { 'data-nbr-rule': p.rule },
        problem: p
      }).range(p.from, p.to)
    );
  return Decoration.set(marks, true);
}

/** The squiggles, moved along with edits until the next answer replaces them. */
const problemField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, transaction) {
    marks = marks.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (effect.is(setProblems)) {
        marks = decorate(effect.value, transaction.state);
      }
    }
    return marks;
  },
  provide: field => EditorView.decorations.from(field)
});

/**
 * The deploy's one-line report, word for word, set on three lines: where and when it fails, what is
 * wrong, and what to use instead.
 */
function reportLines(problem: IProblem): string[] {
  const text = problem.text;
  const at = text.indexOf(problem.message.replace(/\.$/, ''));
  if (at < 0) {
    return [text];
  }
  const rest = text.slice(at);
  const instead = rest.lastIndexOf('; use instead: ');
  const lines = instead < 0 ? [rest] : [rest.slice(0, instead + 1), rest.slice(instead + 2)];
  return [text.slice(0, at).trim(), ...lines];
}

function renderProblems(problems: IProblem[]): HTMLElement {
  const dom = document.createElement('div');
  dom.className = 'nbr-tooltip';
  for (const problem of problems) {
    const item = document.createElement('div');
    item.className = `nbr-problem nbr-${problem.severity}`;
    for (const line of reportLines(problem)) {
      const part = document.createElement('div');
      part.textContent = line;
      item.appendChild(part);
    }
    dom.appendChild(item);
  }
  return dom;
}

const problemTooltip = hoverTooltip((view, pos, side) => {
  const found: { from: number; to: number; problem: IProblem }[] = [];
  view.state.field(problemField).between(pos, pos, (from, to, value) => {
    if ((from < pos || (from === pos && side > 0)) && (to > pos || (to === pos && side < 0))) {
      found.push({ from, to, problem: value.spec.problem as IProblem });
    }
  });
  if (found.length === 0) {
    return null;
  }
  return {
    pos: Math.min(...found.map(f => f.from)),
    end: Math.max(...found.map(f => f.to)),
    above: true,
    create: () => ({ dom: renderProblems(found.map(f => f.problem)) })
  };
});

let warned = false;

/** Asks the server after each pause in typing; a newer keystroke cancels the request in flight. */
function checkOnEdit(check: Checker): Extension {
  return ViewPlugin.fromClass(
    class {
      private timer = 0;
      private inFlight: AbortController | null = null;

      constructor(private readonly view: EditorView) {
        this.schedule(0);
      }

      update(update: ViewUpdate): void {
        if (update.docChanged) {
          this.schedule(DEBOUNCE_MS);
        }
      }

      destroy(): void {
        window.clearTimeout(this.timer);
        this.inFlight?.abort();
      }

      private schedule(delay: number): void {
        window.clearTimeout(this.timer);
        this.inFlight?.abort();
        this.inFlight = null;
        if (isDeployCell(this.view.state.doc.sliceString(0, 200))) {
          this.timer = window.setTimeout(() => void this.run(), delay);
        } else if (this.view.state.field(problemField).size > 0) {
          // no longer a deploy cell: cleared at once, no request (after this update, as views require)
          this.timer = window.setTimeout(() => this.show([]), 0);
        }
      }

      private async run(): Promise<void> {
        const source = this.view.state.doc.toString();
        const request = new AbortController();
        this.inFlight = request;
        let result: ICheckResult;
        try {
          result = await check(source, request.signal);
        } catch (error) {
          if (!request.signal.aborted && !warned) {
            warned = true; // once: a server without the endpoint would otherwise warn at every pause
            console.warn('nbruntime: the compatibility check failed; is nbruntime installed in the server?', error);
          }
          return;
        }
        if (request.signal.aborted || this.view.state.doc.toString() !== source) {
          return;
        }
        this.inFlight = null;
        if (!result.incomplete) {
          this.show(result.problems);
        }
      }

      private show(problems: IProblem[]): void {
        if (problems.length > 0 || this.view.state.field(problemField).size > 0) {
          this.view.dispatch({ effects: setProblems.of(problems) });
        }
      }
    }
  );
}

/** Everything a cell editor needs: the squiggles, their hover, the checks that feed them, the magic line. */
export function diagnostics(check: Checker): Extension {
  return [problemField, problemTooltip, checkOnEdit(check), magicLine];
}
