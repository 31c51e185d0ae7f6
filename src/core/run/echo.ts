/**
 * TRL prints every log as a Python dict on stdout (`{'loss': '0.6779', 'grad_norm': ...}`): the
 * same numbers a `metrics` event already carries. Views that show trainer output leave these out,
 * so each metric is shown once.
 */
const METRICS_DICT = /^\{'[\w./-]+': .*\}$/;

export function isMetricsEcho(line: string): boolean {
  return METRICS_DICT.test(line.trim());
}
