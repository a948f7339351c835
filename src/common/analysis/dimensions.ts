// Columns of many runs (RunValues) as plottable dimensions: numbers (parsed from tag and
// parameter text too; log scale when positive over more than two decades, as learning rates
// are) or categories (ordered names).
import type { RunValues } from '../types';

export interface Dimension {
  key: string;
  label: string;
  kind: 'number' | 'category';
  /** One per run: the number, or the category's index; null when the run has no value. */
  values: (number | null)[];
  categories: string[];
  min: number;
  max: number;
  log: boolean;
}

const ATTRIBUTE_LABELS: Record<string, string> = {
  id: 'Run id', number: 'Run number', display_name: 'Name', status: 'Status',
  run_type: 'Run type', compute: 'Compute', user: 'User', parent_run_id: 'Parent run',
  created_time: 'Created', start_time: 'Started', end_time: 'Ended', duration: 'Duration',
  experiment: 'Experiment'
};

/** "metrics.accuracy" -> "accuracy", "tags.team" -> "tag: team", ... */
export function columnLabel(key: string): string {
  const dot = key.indexOf('.');
  const ns = key.slice(0, dot);
  const name = key.slice(dot + 1);
  switch (ns) {
    case 'metrics':
      return name;
    case 'tags':
      return `tag: ${name}`;
    case 'properties':
      return `property: ${name}`;
    case 'parameters':
      return `param: ${name}`;
    default:
      return ATTRIBUTE_LABELS[name] ?? name;
  }
}

/** The number a value spells (tags and script arguments are text), else null. */
export function numeric(value: unknown): number | null {
  if (typeof value === 'number') {
    return isFinite(value) ? value : null;
  }
  if (typeof value === 'boolean') {
    return value ? 1 : 0;
  }
  if (typeof value === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)) {
    return Number(value);
  }
  return null;
}

export function dimension(key: string, raw: unknown[]): Dimension {
  const present = raw.filter(v => v !== null && v !== undefined && v !== '');
  const nums = present.map(numeric);
  const allNumeric = present.length > 0 && nums.every(n => n !== null);
  if (allNumeric) {
    const values = raw.map(v => (v === null || v === undefined || v === '' ? null : numeric(v)));
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v !== null) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    return { key, label: columnLabel(key), kind: 'number', values, categories: [], min, max,
      log: min > 0 && max / min > 100 };
  }
  const categories = [...new Set(present.map(v => String(v)))].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  const values = raw.map(v => (v === null || v === undefined || v === ''
    ? null : index.get(String(v)) ?? null));
  return { key, label: columnLabel(key), kind: 'category', values, categories, min: 0,
    max: Math.max(0, categories.length - 1), log: false };
}

/** 0..1 position of a value on the dimension's axis (0 = bottom). */
export function position(d: Dimension, v: number): number {
  if (d.kind === 'category') {
    return d.categories.length <= 1 ? 0.5 : v / (d.categories.length - 1);
  }
  if (d.max === d.min) {
    return 0.5;
  }
  if (d.log) {
    return (Math.log10(v) - Math.log10(d.min)) / (Math.log10(d.max) - Math.log10(d.min));
  }
  return (v - d.min) / (d.max - d.min);
}

/** The value at a 0..1 position (inverse of position, for brush labels and axes). */
export function valueAt(d: Dimension, p: number): number {
  if (d.kind === 'category') {
    return p * (d.categories.length - 1);
  }
  if (d.log) {
    return Math.pow(10, Math.log10(d.min) + p * (Math.log10(d.max) - Math.log10(d.min)));
  }
  return d.min + p * (d.max - d.min);
}

/** The columns of an analysis read (`parameters.*`, `tags.*`, `metrics.*`: the wildcards
 * bring every parameter, tag and scalar metric the runs have, so no separate read of the
 * names is needed): inputs are parameters and tags (not the internal mlws.*), outputs the
 * scalar metrics other than system/ ones, `metrics` every scalar metric; each by name. */
export function sweepColumns(values: RunValues): {
  inputs: string[]; outputs: string[]; metrics: string[];
} {
  const names = (namespace: string): string[] => Object.keys(values.columns)
    .filter(k => k.startsWith(`${namespace}.`)).map(k => k.slice(namespace.length + 1)).sort();
  const metrics = names('metrics');
  const inputs = [
    ...names('parameters').map(n => `parameters.${n}`),
    ...names('tags').filter(n => !n.startsWith('mlws.')).map(n => `tags.${n}`)
  ];
  const outputs = metrics.filter(n => !n.startsWith('system/')).map(n => `metrics.${n}`);
  return { inputs, outputs, metrics };
}

/** Keep the columns whose values are not all the same (a parameter every trial shares says
 * nothing about the sweep). */
export function varying(values: RunValues, keys: string[]): string[] {
  return keys.filter(key => {
    const column = values.columns[key] ?? [];
    const seen = new Set<string>();
    for (const v of column) {
      if (v !== null && v !== undefined) {
        seen.add(String(v));
        if (seen.size > 1) {
          return true;
        }
      }
    }
    return false;
  });
}

/** A colour for a 0..1 value: the viridis ramp (readable on light and dark backgrounds). */
export function ramp(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
