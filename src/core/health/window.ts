/** Small fixed-size windows over recent logs: bounded copies keep the health state immutable. */

export function pushWindow(window: readonly number[], value: number, size: number): number[] {
  const next = window.length >= size ? window.slice(window.length - size + 1) : window.slice();
  next.push(value);
  return next;
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length ? sum / values.length : NaN;
}

export function stdev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let sq = 0;
  for (const v of values) sq += (v - m) ** 2;
  return Math.sqrt(sq / (values.length - 1));
}

/** The change a least-squares line predicts across the window (slope x (n - 1)). */
export function fittedChange(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const xm = (n - 1) / 2;
  const ym = mean(values);
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - xm) * (y - ym);
    den += (x - xm) ** 2;
  });
  return (num / den) * (n - 1);
}

/** The slope's t statistic (slope / standard error): how sure the trend is, whatever its size. */
export function trendT(values: readonly number[]): number {
  const n = values.length;
  if (n < 3) return 0;
  const xm = (n - 1) / 2;
  const ym = mean(values);
  let sxx = 0;
  let sxy = 0;
  values.forEach((y, x) => {
    sxx += (x - xm) ** 2;
    sxy += (x - xm) * (y - ym);
  });
  const slope = sxy / sxx;
  let residual = 0;
  values.forEach((y, x) => (residual += (y - (ym + slope * (x - xm))) ** 2));
  const se = Math.sqrt(residual / (n - 2) / sxx);
  if (se === 0) return slope === 0 ? 0 : slope > 0 ? Infinity : -Infinity;
  return slope / se;
}

/** A short number for messages: 3 significant digits, exponent for the tiny and the huge. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) return value.toExponential(2);
  return String(Number(value.toPrecision(3)));
}
