// Explanations and Fairness: JSON artifacts explanations/<name>.json (feature importances) and
// fairness/<name>.json (per-group metrics) rendered as bar lists and tables.
import { clear, emptyState, errorMessage, formatValue, h, table } from '../dom';
import type { ChangeKind, RunDataSource } from '../source';
import type { Run } from '../types';
import type { RunTab } from './tab';

interface Importance {
  features: string[];
  importances: number[];
  class_labels?: string[];
  per_class_importances?: number[][];
}

interface Fairness {
  sensitive_feature: string;
  groups: string[];
  metrics: Record<string, unknown[]>;
  overall?: Record<string, unknown>;
}

/** Horizontal bars, largest magnitude first (or in the given order). */
function bars(features: string[], values: number[], limit = 30, sorted = true): HTMLElement {
  const order = features.map((_, i) => i)
    .sort((a, b) => (sorted ? Math.abs(values[b]) - Math.abs(values[a]) : a - b))
    .slice(0, limit);
  const max = Math.max(...order.map(i => Math.abs(values[i])), 1e-12);
  return h('div', { className: 'mlws-bars' }, order.map(i =>
    h('div', { className: 'mlws-bar-row' },
      h('span', { className: 'mlws-bar-label', title: features[i] }, features[i]),
      h('span', { className: 'mlws-bar-track' },
        h('span', {
          className: 'mlws-bar', style: `width: ${(Math.abs(values[i]) / max) * 100}%`
        })),
      h('span', { className: 'mlws-bar-value' }, formatValue(values[i])))));
}

function renderImportance(name: string, data: Importance): HTMLElement {
  const parts: HTMLElement[] = [h('h4', null, `${name}: global feature importance`),
    bars(data.features, data.importances)];
  if (data.per_class_importances && data.class_labels) {
    parts.push(h('h4', null, 'Per class'), table(['Feature', ...data.class_labels],
      data.features.map((f, i) => [f, ...data.class_labels!.map(
        (_, c) => formatValue(data.per_class_importances![c]?.[i]))])));
  }
  return h('div', { className: 'mlws-explanation', 'data-name': name }, ...parts);
}

function renderFairness(name: string, data: Fairness): HTMLElement {
  const metrics = Object.keys(data.metrics);
  const rows = data.groups.map((g, i) => [g, ...metrics.map(m => formatValue(data.metrics[m][i]))]);
  if (data.overall) {
    rows.push(['(overall)', ...metrics.map(m => formatValue(data.overall![m]))]);
  }
  const disparity = metrics.map(m => {
    const nums = data.metrics[m].filter((v): v is number => typeof v === 'number');
    return nums.length ? formatValue(Math.max(...nums) - Math.min(...nums)) : '';
  });
  rows.push(['(max - min)', ...disparity]);
  // One bar list per metric, groups in their order, so disparities show at a glance.
  const charts = metrics.map(m => {
    const values = data.metrics[m].map(v => (typeof v === 'number' ? v : 0));
    const overall = data.overall?.[m];
    return h('div', { className: 'mlws-fairness-metric', 'data-metric': m },
      h('h5', null, m, typeof overall === 'number'
        ? h('span', { className: 'mlws-muted' }, ` (overall ${formatValue(overall)})`) : null),
      bars(data.groups, values, 50, false));
  });
  return h('div', { className: 'mlws-fairness', 'data-name': name },
    h('h4', null, `${name}: metrics by ${data.sensitive_feature}`),
    h('div', { className: 'mlws-fairness-charts' }, charts),
    table([data.sensitive_feature, ...metrics], rows));
}

export class ExplanationsTab implements RunTab {
  readonly id = 'explanations';
  readonly label = 'Explanations';
  readonly node = h('div', { className: 'mlws-tab-explanations' });
  private seen = '';

  constructor(private source: RunDataSource) {}

  async load(_run: Run): Promise<void> {
    const list = await this.source.listArtifacts();
    const files = list.artifacts.map(a => a.path)
      .filter(p => /^(explanations|fairness)\/[^/]+\.json$/.test(p)).sort();
    this.seen = files.join('\n');
    clear(this.node);
    if (!files.length) {
      this.node.append(emptyState('This run has no explanations or fairness results.',
        'Log a feature-importance explanation (explanations/<name>.json) or a fairness ' +
        'assessment (fairness/<name>.json) from the run to see them here.'));
      return;
    }
    const explanations = h('section', { className: 'mlws-section' }, h('h3', null, 'Explanations'));
    const fairness = h('section', { className: 'mlws-section' }, h('h3', null, 'Fairness'));
    for (const path of files) {
      const name = path.split('/')[1].replace(/\.json$/, '');
      const target = path.startsWith('explanations/') ? explanations : fairness;
      try {
        const doc = JSON.parse(await (await this.source.getArtifact(path)).blob.text());
        if (doc.schema_type === 'feature_importance') {
          target.append(renderImportance(name, doc.data as Importance));
        } else if (doc.schema_type === 'fairness') {
          target.append(renderFairness(name, doc.data as Fairness));
        } else {
          target.append(h('p', { className: 'mlws-muted' },
            `${path}: unknown schema_type ${String(doc.schema_type)}`));
        }
      } catch (err) {
        target.append(h('p', { className: 'mlws-error' }, `${path}: ${errorMessage(err)}`));
      }
    }
    for (const s of [explanations, fairness]) {
      if (s.childElementCount > 1) {
        this.node.append(s);
      }
    }
  }

  async update(run: Run, what: ChangeKind[]): Promise<void> {
    if (!what.includes('artifacts')) {
      return;
    }
    const list = await this.source.listArtifacts();
    const files = list.artifacts.map(a => a.path)
      .filter(p => /^(explanations|fairness)\/[^/]+\.json$/.test(p)).sort();
    if (files.join('\n') !== this.seen) {
      await this.load(run);
    }
  }

  dispose(): void {
    clear(this.node);
  }
}
