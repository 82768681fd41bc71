/**
 * Which cells nbruntime deploys: those whose first line is a `%%edge`, `%%node` or `%%compare` (both
 * runtimes) cell magic. Only the shape of the magic line lives here; what is wrong with a cell is decided
 * by the server.
 */

/** The mime type of JupyterLab's TypeScript language (`text/typescript` is not registered). */
export const TYPESCRIPT_MIME = 'application/typescript';

const DEPLOY_MAGIC = /^%%(edge|node|compare)(\s|$)/;

/** The first line of a cell's text. */
export function firstLine(source: string): string {
  const end = source.indexOf('\n');
  return end < 0 ? source : source.slice(0, end);
}

/** Whether the cell text is a `%%edge` / `%%node` / `%%compare` cell. */
export function isDeployCell(source: string): boolean {
  return DEPLOY_MAGIC.test(firstLine(source));
}
