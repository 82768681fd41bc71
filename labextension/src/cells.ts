/**
 * TypeScript highlighting for deploy cells, by giving their models the TypeScript mime type.
 *
 * The notebook resets every code cell to the kernel's language (when kernel info arrives, on kernel
 * changes, on load), so the mime type is re-asserted after any such change, in a later task so the
 * notebook's own handlers have run first.
 */

import type { ICellModel } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';

import { TYPESCRIPT_MIME, isDeployCell } from './magic';

export function highlightDeployCells(panel: NotebookPanel): void {
  const notebook = panel.content;
  const watched = new WeakSet<ICellModel>();
  let queued = false;

  const sync = (): void => {
    queued = false;
    const model = notebook.model;
    if (notebook.isDisposed || !model) {
      return;
    }
    for (const cell of model.cells) {
      if (cell.type !== 'code') {
        continue;
      }
      const deploy = isDeployCell(cell.sharedModel.getSource());
      if (deploy && cell.mimeType !== TYPESCRIPT_MIME) {
        cell.mimeType = TYPESCRIPT_MIME;
      } else if (!deploy && cell.mimeType === TYPESCRIPT_MIME) {
        cell.mimeType = notebook.codeMimetype;
      }
    }
  };
  const queue = (): void => {
    if (!queued) {
      queued = true;
      window.setTimeout(sync, 0);
    }
  };
  const watchCells = (): void => {
    for (const cell of notebook.model?.cells ?? []) {
      if (!watched.has(cell)) {
        watched.add(cell);
        cell.mimeTypeChanged.connect(queue);
        cell.contentChanged.connect(queue);
      }
    }
    queue();
  };

  notebook.modelChanged.connect(() => {
    notebook.model?.cells.changed.connect(watchCells);
    watchCells();
  });
  notebook.model?.cells.changed.connect(watchCells);
  panel.sessionContext.kernelChanged.connect(queue);
  watchCells();
}
