/**
 * nbruntime's JupyterLab / Notebook 7 extension: `%%edge`, `%%node` and `%%compare` cells are highlighted
 * as TypeScript and show the compatibility problems the deploy would report, as the user types (a
 * `%%compare` cell those of both runtimes).
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { EditorExtensionRegistry, IEditorExtensionRegistry, IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';

import { highlightDeployCells } from './cells';
import { Checker, ICheckResult, diagnostics } from './diagnostics';
import { TYPESCRIPT_MIME } from './magic';

function serverChecker(settings: ServerConnection.ISettings): Checker {
  const url = URLExt.join(settings.baseUrl, 'nbruntime', 'check');
  return async (source, signal) => {
    const init = { method: 'POST', body: JSON.stringify({ source }), signal };
    const response = await ServerConnection.makeRequest(url, init, settings);
    if (!response.ok) {
      throw new ServerConnection.ResponseError(response);
    }
    return (await response.json()) as ICheckResult;
  };
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
    const check = serverChecker(app.serviceManager.serverSettings);
    extensions.addExtension({
      name: 'nbruntime:diagnostics',
      factory: () => EditorExtensionRegistry.createImmutableExtension(diagnostics(check))
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
