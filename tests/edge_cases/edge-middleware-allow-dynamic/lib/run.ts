// A rule engine that evaluates expressions: allowed in middleware by config.unstable_allowDynamic.
export function run(expression: string): unknown {
  return eval(expression)
}
