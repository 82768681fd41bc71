/**
 * nbruntime's JupyterLab / Notebook 7 extension: `%%edge`, `%%node` and `%%compare` cells are highlighted
 * as TypeScript and show the compatibility problems the deploy would report, as the user types (a
 * `%%compare` cell those of both runtimes).
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import {
  EditorExtensionRegistry,
  IEditorExtensionFactory,
  IEditorExtensionRegistry,
  IEditorLanguageRegistry
} from '@jupyterlab/codemirror';
import { URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';

import { highlightDeployCells } from './cells';
import { Checker, ICheckResult, diagnostics } from './diagnostics';
import { TYPESCRIPT_MIME } from './magic';

/**
 * Asks the server to check a cell. `notebook` gives the path of the notebook the cell is in, asked at each
 * check (a notebook can be renamed or moved): its project folder is where the cell's npm packages are
 * installed. Without one (an editor outside a notebook) the server looks from its root.
 */
function serverChecker(settings: ServerConnection.ISettings, notebook: () => string | undefined): Checker {
  const url = URLExt.join(settings.baseUrl, 'nbruntime', 'check');
  return async (source, signal) => {
    const init = { method: 'POST', body: JSON.stringify({ source, notebook: notebook() }), signal };
    const response = await ServerConnection.makeRequest(url, init, settings);
    if (!response.ok) {
      throw new ServerConnection.ResponseError(response);
    }
    return (await response.json()) as ICheckResult;
  };
}

/** The path (from the server's root) of the open notebook whose cell `model` is, if it is a notebook's cell. */
function notebookPath(
  model: IEditorExtensionFactory.IOptions['model'],
  tracker: INotebookTracker | null
): string | undefined {
  const notebook = (model.sharedModel as { notebook?: unknown }).notebook;
  if (!notebook) {
    return undefined;
  }
  return tracker?.find(panel => panel.content.model?.sharedModel === notebook)?.context.localPath;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'nbruntime:cells',
  description: 'TypeScript highlighting and live compatibility diagnostics for %%edge / %%node / %%compare cells.',
  autoStart: true,
  requires: [IEditorLanguageRegistry, IEditorExtensionRegistry],
  optional: [INotebookTracker], // absent on pages without notebooks (Notebook 7's file browser, editor)
  activate: async (
    app: JupyterFrontEnd,
    languages: IEditorLanguageRegistry,
    extensions: IEditorExtensionRegistry,
    tracker: INotebookTracker | null
  ): Promise<void> => {
    const settings = app.serviceManager.serverSettings;
    extensions.addExtension({
      name: 'nbruntime:diagnostics',
      factory: ({ model }) => {
        const check = serverChecker(settings, () => notebookPath(model, tracker));
        return EditorExtensionRegistry.createImmutableExtension(diagnostics(check));
      }
    });
    if (!tracker) {
      return;
    }
    // The editor loads a language asynchronously and applies loads in the order they finish, so the
    // notebook's switch to Python and ours to TypeScript could land in the wrong order: load both first.
    await Promise.all([languages.getLanguage(TYPESCRIPT_MIME), languages.getLanguage('text/x-ipython')]);
    tracker.widgetAdded.connect((_, panel) => highlightDeployCells(panel));
    tracker.forEach(highlightDeployCells);
  }
};

export default plugin;
