import pkg, { describe, answer } from 'cjs-browser-pkg'
import { where } from 'esm-imports-pkg'

export function probe() {
  return { describe: describe(), answer, defaultKeys: Object.keys(pkg).sort(), where: where() }
}
