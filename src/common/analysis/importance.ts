// Parameter importance for one metric, as numbers a reader can check: Spearman's rank
// correlation for numeric columns (how monotonically the metric moves with it, -1..1) and the
// correlation ratio (eta, 0..1: the share of the metric's spread explained by the groups) for
// categories. Computed over the runs that have both values.
import { formatValue, h } from '../dom';
import type { Dimension } from './dimensions';

export interface Importance {
  key: string;
  label: string;
  score: number;
  method: 'spearman' | 'eta';
  runs: number;
}

/** Average ranks (ties share their mean rank). */
function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as [number, number]).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) {
      j++;
    }
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      out[order[k][1]] = rank;
    }
    i = j + 1;
  }
  return out;
}

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    cov += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) ** 2;
    vb += (b[i] - mb) ** 2;
  }
  return va === 0 || vb === 0 ? 0 : cov / Math.sqrt(va * vb);
}

export function spearman(a: number[], b: number[]): number {
  return pearson(ranks(a), ranks(b));
}

/** Correlation ratio eta of a numeric outcome over the groups of a category. */
export function eta(groups: number[], outcome: number[]): number {
  const mean = outcome.reduce((s, v) => s + v, 0) / outcome.length;
  const sums = new Map<number, [number, number]>();
  groups.forEach((g, i) => {
    const s = sums.get(g) ?? [0, 0];
    sums.set(g, [s[0] + outcome[i], s[1] + 1]);
  });
  let between = 0;
  for (const [sum, n] of sums.values()) {
    between += n * (sum / n - mean) ** 2;
  }
  const total = outcome.reduce((s, v) => s + (v - mean) ** 2, 0);
  return total === 0 ? 0 : Math.sqrt(between / total);
}

/** How strongly each of `inputs` goes with `target`, strongest first. */
export function importances(target: Dimension, inputs: Dimension[]): Importance[] {
  const out: Importance[] = [];
  for (const d of inputs) {
    if (d.key === target.key) {
      continue;
    }
    const a: number[] = [];
    const b: number[] = [];
    d.values.forEach((v, i) => {
      const t = target.values[i];
      if (v !== null && t !== null) {
        a.push(v);
        b.push(t);
      }
    });
    if (a.length < 3 || new Set(a).size < 2) {
      continue;
    }
    const method = d.kind === 'category' ? 'eta' : 'spearman';
    const score = method === 'eta' ? eta(a, b) : spearman(a, b);
    out.push({ key: d.key, label: d.label, score, method, runs: a.length });
  }
  return out.sort((x, y) => Math.abs(y.score) - Math.abs(x.score));
}

export function importanceView(target: Dimension, list: Importance[]): HTMLElement {
  if (!list.length) {
    return h('p', { className: 'mlws-muted' },
      `Nothing to relate to ${target.label}: it needs at least three runs with both values ` +
      'and a column that varies.');
  }
  return h('div', { className: 'mlws-importance', 'data-target': target.key },
    h('p', { className: 'mlws-muted' }, `How strongly each column goes with ${target.label}: ` +
      'Spearman rank correlation for numbers (-1 to 1: the sign says which way), correlation ' +
      'ratio η for categories (0 to 1). Correlation, not causation.'),
    h('div', { className: 'mlws-bars' }, list.map(item =>
      h('div', { className: 'mlws-bar-row', 'data-column': item.key },
        h('span', { className: 'mlws-bar-label', title: item.label }, item.label),
        h('span', { className: 'mlws-bar-track' },
          h('span', { className: `mlws-bar${item.score < 0 ? ' mlws-bar-negative' : ''}`,
            style: `width: ${Math.abs(item.score) * 100}%` })),
        h('span', { className: 'mlws-bar-value', title: `${item.method === 'eta' ? 'η' : 'ρ'} ` +
          `over ${item.runs} runs` }, `${item.method === 'eta' ? 'η' : 'ρ'} ` +
          formatValue(Number(item.score.toFixed(3))))))));
}
