// The rule table of nbruntime/compat (rules.json), read by the Node host: the edge realm's run-time
// errors use the same words as the static analysis that runs before deploying.
import { fs } from './builtins.mjs';

export const table = JSON.parse(fs.readFileSync(new URL('../compat/rules.json', import.meta.url), 'utf8'));

// The message an API's rule gives at run time, with Next's "Learn more" link.
export function runtimeMessage(ruleId, api) {
  const rule = table.rules[ruleId];
  return `${rule.message.replaceAll('{api}', api)}\nLearn more: ${rule.link}`;
}
