// Numbers behind the charts: value conversion, smoothing, the min/max envelope of downsampled
// series, colours for any number of series, tick labels and x positions per x mode.

/** Metric values as chartable numbers: non-finite markers and non-numbers become gaps. */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number' && isFinite(value)) {
    return value;
  }
  if (typeof value === 'boolean') {
    return value ? 1 : 0;
  }
  return null;
}

/** TensorBoard-style debiased EMA; gaps stay gaps. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) {
    return values;
  }
  let last = 0;
  let count = 0;
  return values.map(v => {
    if (v === null) {
      return null;
    }
    last = last * weight + (1 - weight) * v;
    count += 1;
    return last / (1 - Math.pow(weight, count));
  });
}

/**
 * The store downsamples a long series to the minimum and maximum of each bucket (in seq
 * order, so they alternate). Neighbouring pairs give the envelope: `lo`/`hi` per point and
 * `mid`, the line drawn through it.
 */
export function envelope(values: (number | null)[]): {
  lo: (number | null)[]; hi: (number | null)[]; mid: (number | null)[];
} {
  const n = values.length;
  const lo: (number | null)[] = new Array(n);
  const hi: (number | null)[] = new Array(n);
  const mid: (number | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const a = values[i];
    const b = i + 1 < n ? values[i + 1] : values[i - 1] ?? null;
    if (a === null || b === null) {
      lo[i] = hi[i] = mid[i] = a;
      continue;
    }
    lo[i] = Math.min(a, b);
    hi[i] = Math.max(a, b);
    mid[i] = (a + b) / 2;
  }
  return { lo, hi, mid };
}

const TAB10 = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf'
];

/** A colour per series: Tableau's ten, then hues spread by the golden angle (never repeat). */
export function seriesColor(index: number): string {
  if (index < TAB10.length) {
    return TAB10[index];
  }
  const k = index - TAB10.length;
  const hue = Math.round((k * 137.508 + 20) % 360);
  const light = 38 + (k % 3) * 10;
  return `hsl(${hue}, 70%, ${light}%)`;
}

/** A colour with transparency (hex #rrggbb or hsl(...)) for faded raw lines and bands. */
export function withAlpha(color: string, alpha: number): string {
  if (color.startsWith('#') && color.length === 7) {
    const n = parseInt(color.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  if (color.startsWith('hsl(')) {
    return color.replace('hsl(', 'hsla(').replace(')', `, ${alpha})`);
  }
  return color;
}

/** A short number: 0.000123 -> 1.23e-4, 12345 -> 12,345, 0.5 -> 0.5. */
export function shortNumber(v: number): string {
  if (v === 0) {
    return '0';
  }
  const abs = Math.abs(v);
  if (abs >= 1e6 || abs < 1e-3) {
    return v.toExponential(2).replace(/\.?0+e/, 'e');
  }
  if (Number.isInteger(v)) {
    return v.toLocaleString('en-US');
  }
  return String(Number(v.toPrecision(4)));
}

/** Seconds as the relative-time axis shows them: 0.25 s, 12 s, 3m 10s, 2h 5m. */
export function relativeLabel(seconds: number): string {
  const abs = Math.abs(seconds);
  if (abs < 60) {
    const digits = abs < 1 ? 2 : abs < 10 ? 1 : 0;
    return `${Number(seconds.toFixed(digits))} s`;
  }
  if (abs < 3600) {
    const m = Math.floor(abs / 60);
    const s = Math.round(abs % 60);
    return `${seconds < 0 ? '-' : ''}${m}m ${s}s`;
  }
  const h = Math.floor(abs / 3600);
  const m = Math.round((abs % 3600) / 60);
  return `${seconds < 0 ? '-' : ''}${h}h ${m}m`;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Clock labels for epoch seconds; the precision follows the visible span (short runs get
 * milliseconds, long ones a date). */
export function clockLabel(epochSeconds: number, span: number): string {
  const d = new Date(epochSeconds * 1000);
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (span < 2) {
    return `${hms}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }
  if (span < 3 * 3600) {
    return `${hms}:${pad(d.getSeconds())}`;
  }
  if (span < 3 * 86400) {
    return hms;
  }
  return `${d.getMonth() + 1}/${d.getDate()} ${hms}`;
}

/** Evenly spaced "nice" ticks (1, 2, 5 x 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!isFinite(min) || !isFinite(max)) {
    return [];
  }
  if (min === max) {
    return [min];
  }
  const raw = (max - min) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(f => f * mag).find(s => s >= raw) ?? 10 * mag;
  const first = Math.ceil(min / step - 1e-9) * step;
  const out: number[] = [];
  for (let v = first; v <= max + step * 1e-9 && out.length < 100; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

/** Increments of time axes in seconds: ms up to days. */
const TIME_INCRS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30,
  60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/** Ticks of a time axis (epoch seconds or seconds since start) at round increments of at
 * least `minIncr` seconds. */
export function timeTicks(min: number, max: number, count: number, minIncr = 0): number[] {
  const raw = Math.max(minIncr, (max - min) / Math.max(1, count));
  const incr = TIME_INCRS.find(i => i >= raw) ?? Math.ceil(raw / 86400) * 86400;
  const out: number[] = [];
  for (let v = Math.ceil(min / incr) * incr; v <= max + 1e-9 && out.length < 200; v += incr) {
    out.push(Number(v.toFixed(6)));
  }
  return out;
}

/** x of each point for an x mode: a missing step is the point's position. */
export function stepXs(step: (number | null)[]): number[] {
  return step.map((s, i) => (s === null || s === undefined ? i : s));
}

/**
 * x = another metric of the same run ("metric as x axis"): each point takes the value the
 * x metric had at the same step (the latest value logged at or before that step).
 */
export function alignByStep(
  step: (number | null)[], xStep: (number | null)[], xValue: (number | null)[]
): (number | null)[] {
  const xs = stepXs(xStep);
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const target = stepXs(step);
  return target.map(s => {
    let lo = 0;
    let hi = order.length - 1;
    let found = -1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      if (xs[order[m]] <= s) {
        found = order[m];
        lo = m + 1;
      } else {
        hi = m - 1;
      }
    }
    return found < 0 ? null : xValue[found];
  });
}
