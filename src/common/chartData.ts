// What a chart draws, computed from its series: x per mode, the uPlot table (x ascending,
// log-scale gaps, min/max band of downsampled series, faded raw line under smoothing), and
// the legend's values when no point is hovered (each line's last drawn value).
import uPlot from 'uplot';
import type { ChartSettings, SeriesPoints } from './chart';
import { alignByStep, envelope, smooth, stepXs } from './chartMath';

/** What the chart draws of one input series: uPlot series indices and their roles. */
export interface Drawn {
  main: number;
  raw: number | null;
  lo: number | null;
  hi: number | null;
}

/** x of every point of series `s` in the mode of `settings`. */
export function seriesXs(s: SeriesPoints, settings: ChartSettings): (number | null)[] {
  switch (settings.xMode) {
    case 'time':
      return s.time;
    case 'relative': {
      const origin = s.origin ?? s.time[0] ?? 0;
      return s.time.map(t => t - origin);
    }
    case 'metric':
      return s.xMetric ? alignByStep(s.step, s.xMetric.step, s.xMetric.value)
        : s.value.map(() => null);
    default:
      return stepXs(s.step);
  }
}

/** The uPlot data of `series` (joined on x when several) and where each series went.
 * `banded(s)`: whether `s` was downsampled and gets a min/max band. */
export function chartTable(series: SeriesPoints[], settings: ChartSettings,
  banded: (s: SeriesPoints) => boolean): { data: uPlot.AlignedData; drawn: Drawn[] } {
  const tables: uPlot.AlignedData[] = [];
  const drawn: Drawn[] = [];
  let next = 1;
  for (const s of series) {
    const rawXs = seriesXs(s, settings);
    // uPlot needs x ascending and present: drop points without x, sort when not sorted.
    let order = rawXs.map((_, i) => i).filter(i => rawXs[i] !== null);
    let sorted = true;
    for (let k = 1; k < order.length; k++) {
      if ((rawXs[order[k]] as number) < (rawXs[order[k - 1]] as number)) {
        sorted = false;
        break;
      }
    }
    if (!sorted) {
      order = [...order].sort((a, b) => (rawXs[a] as number) - (rawXs[b] as number));
    }
    const xs = order.map(i => rawXs[i] as number);
    let values = order.map(i => s.value[i]);
    if (settings.log) {
      values = values.map(v => (v !== null && v > 0 ? v : null));
    }
    const columns: (number | null)[][] = [];
    const d: Drawn = { main: 0, raw: null, lo: null, hi: null };
    if (banded(s)) {
      const env = envelope(values);
      columns.push(env.lo, env.hi);
      d.lo = next++;
      d.hi = next++;
      values = env.mid;
    }
    if (settings.smoothing > 0) {
      columns.push(values);
      d.raw = next++;
      values = smooth(values, settings.smoothing);
    }
    columns.push(values);
    d.main = next++;
    tables.push([xs, ...columns] as uPlot.AlignedData);
    drawn.push(d);
  }
  const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
  return { data, drawn };
}

/** The last non-null value of uPlot series `sidx` (joined tables leave gaps at the x of
 * other series), or null when it has none. */
export function lastValue(u: uPlot, sidx: number): number | null {
  const ys = u.data[sidx] as (number | null | undefined)[] | undefined;
  if (!ys) {
    return null;
  }
  for (let i = ys.length - 1; i >= 0; i--) {
    const v = ys[i];
    if (v !== null && v !== undefined) {
      return v;
    }
  }
  return null;
}

/** Points of the main lines inside the visible x range. */
export function shownPoints(u: uPlot, drawn: Drawn[]): number {
  const min = u.scales.x.min ?? -Infinity;
  const max = u.scales.x.max ?? Infinity;
  const xs = u.data[0] as number[];
  let shown = 0;
  for (const d of drawn) {
    const ys = u.data[d.main] as (number | null)[];
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] >= min && xs[i] <= max && ys[i] !== null && ys[i] !== undefined) {
        shown++;
      }
    }
  }
  return shown;
}
