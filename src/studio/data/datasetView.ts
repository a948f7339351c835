// A dataset's main-area view: its versions, the selected version's definition and columns,
// its profile (computed once on the server, then read), a paged preview of the first rows (or
// files), and the runs that read or wrote the version.
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { clear, emptyState, errorMessage, formatTime, h, statusBadge, table } from '../../common/dom';
import type { Studio } from '../studio';
import { computeProfile, getDataset, getPreview, getProfile, getRuns, getVersion } from './api';
import type { ColumnProfile, DatasetProfile, DatasetVersion } from './types';

const PAGE = 50;

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** A tiny bar chart of a histogram (one div per bin, height by count). */
function histogram(column: ColumnProfile): HTMLElement | string {
  if (!column.histogram) {
    return '';
  }
  const top = Math.max(1, ...column.histogram.counts);
  const edges = column.histogram.edges;
  return h('div', { className: 'mlws-histogram', role: 'img',
    'aria-label': `histogram from ${edges[0]} to ${edges[edges.length - 1]}` },
  column.histogram.counts.map((c, i) => h('div', {
    className: 'mlws-histogram-bar', title: `${edges[i]} – ${edges[i + 1]}: ${c}`,
    style: `height:${Math.round((c / top) * 100)}%`
  })));
}

export class DatasetView extends Widget {
  private version = 0;
  private offset = 0;
  private header = h('div', { className: 'mlws-dataset-header' });
  private definition = h('section', { className: 'mlws-section mlws-dataset-definition' });
  private profile = h('section', { className: 'mlws-section mlws-dataset-profile' });
  private preview = h('section', { className: 'mlws-section mlws-dataset-preview' });
  private runs = h('section', { className: 'mlws-section mlws-dataset-runs' });
  /** Per section, the newest load: an older answer (another version, page) is dropped. */
  private latest = { profile: 0, preview: 0, runs: 0 };

  constructor(private studio: Studio, private ws: string, readonly datasetName: string) {
    super();
    this.addClass('mlws-dataset-view');
    this.node.dataset.dataset = datasetName;
    this.node.append(this.header, this.definition, this.profile, this.preview, this.runs);
  }

  async load(version?: number): Promise<void> {
    try {
      const dataset = await getDataset(this.studio.api, this.ws, this.datasetName);
      this.version = version ?? dataset.version;
      clear(this.header);
      const select = h('select', { className: 'jp-mod-styled mlws-input mlws-version-select',
        'aria-label': 'Version' }, dataset.versions.map(v =>
        h('option', { value: String(v.version), selected: v.version === this.version },
          `version ${v.version} — ${formatTime(v.created_time)}`)));
      select.addEventListener('change', () => void this.load(Number(select.value)));
      this.header.append(h('h2', null, this.datasetName), select);
      const chosen = this.version === dataset.version ? dataset
        : await getVersion(this.studio.api, this.ws, this.datasetName, this.version);
      this.node.dataset.version = String(this.version);
      this.renderDefinition(chosen);
      this.offset = 0;
      await Promise.all([this.loadProfile(false), this.loadPreview(), this.loadRuns()]);
    } catch (err) {
      clear(this.header);
      this.header.append(emptyState(`Dataset ${this.datasetName} could not be read: ` +
        errorMessage(err)));
    }
  }

  private renderDefinition(v: DatasetVersion): void {
    clear(this.definition);
    const def = (v.definition ?? {}) as Record<string, unknown>;
    const sources = (def.sources as Record<string, string>[] | undefined) ?? [];
    const transforms = (def.transforms as { op: string }[] | undefined) ?? [];
    const format = def.format as Record<string, unknown> | undefined;
    this.definition.append(h('h3', null, 'Definition'), table(['', ''], [
      ['Kind', v.type ?? ''], ['Id', h('code', null, v.id ?? '')],
      ['Description', v.description || ''],
      ['Tags', Object.entries(v.tags).map(([k, t]) => (t === null ? k : `${k}=${t}`)).join(', ')],
      ['Sources', sources.map(s => (s.datastore ? `${s.datastore}: ${s.path || '/'}` : s.url))
        .join(', ')],
      ['Format', format ? cellText(format) : ''],
      ['Transforms', transforms.map(t => t.op).join(' → ') || 'none'],
      ['Files', `${v.files ?? '?'} (${formatBytes(v.bytes)})`],
      ['Data changed', formatTime(v.data_changed_time)]], 'mlws-table mlws-compact'));
    if (v.columns?.length) {
      this.definition.append(h('h4', { className: 'mlws-subhead' }, 'Columns'),
        table(['Column', 'Type'], v.columns.map(([n, t]) => [n, t]), 'mlws-table mlws-compact'));
    }
  }

  private async loadProfile(compute: boolean): Promise<void> {
    const mine = ++this.latest.profile;
    clear(this.profile);
    this.profile.append(h('h3', null, 'Profile'));
    let profile: DatasetProfile | null = null;
    try {
      if (compute) {
        this.profile.append(h('p', { className: 'mlws-muted' }, 'Computing the profile…'));
        profile = await computeProfile(this.studio.api, this.ws, this.datasetName, this.version);
      } else {
        profile = await getProfile(this.studio.api, this.ws, this.datasetName, this.version);
      }
    } catch (err) {
      if (mine === this.latest.profile) {
        this.profile.append(emptyState(`The profile could not be computed: ${errorMessage(err)}`));
      }
      return;
    }
    if (mine !== this.latest.profile) {
      return;
    }
    clear(this.profile);
    this.profile.append(h('h3', null, 'Profile'));
    if (!profile) {
      this.profile.append(h('p', { className: 'mlws-muted' },
        'Not computed yet: it reads the whole version once and is then stored.'),
      h('button', { className: 'mlws-button mlws-compute-profile', type: 'button',
        onclick: () => void this.loadProfile(true) }, 'Compute profile'));
      return;
    }
    if (profile.kind === 'file') {
      this.profile.append(table(['Files', 'Size', 'Extensions'], [[String(profile.file_count),
        formatBytes(profile.total_bytes), Object.entries(profile.extensions ?? {})
          .map(([e, n]) => `${e || '(none)'}: ${n}`).join(', ')]], 'mlws-table mlws-compact'));
      return;
    }
    this.profile.append(h('p', null, `${profile.row_count} rows`),
      table(['Column', 'Type', 'Count', 'Missing', 'Min', 'Max', 'Mean', 'Distinct', ''],
        Object.entries(profile.columns ?? {}).map(([name, c]) => [name, c.type,
          String(c.count), String(c.missing), cellText(c.min), cellText(c.max),
          c.mean === null ? '' : c.mean.toPrecision(6), c.distinct === null ? ''
            : String(c.distinct), histogram(c)]), 'mlws-table mlws-compact mlws-profile-table'));
  }

  private async loadPreview(): Promise<void> {
    const mine = ++this.latest.preview;
    try {
      const page = await getPreview(this.studio.api, this.ws, this.datasetName, this.version,
        this.offset, PAGE);
      if (mine !== this.latest.preview) {
        return;
      }
      clear(this.preview);
      this.preview.append(h('h3', null, 'Preview'));
      const pager = h('div', { className: 'mlws-pager' },
        h('button', { className: 'mlws-button mlws-small', type: 'button',
          disabled: this.offset === 0, 'aria-label': 'Previous rows',
          onclick: () => { this.offset = Math.max(0, this.offset - PAGE); void this.loadPreview(); }
        }, 'Previous'),
        h('span', { className: 'mlws-muted' }, `from row ${this.offset + 1}`),
        h('button', { className: 'mlws-button mlws-small', type: 'button',
          disabled: page.kind === 'tabular' ? !page.has_more
            : this.offset + PAGE >= (page.total ?? 0), 'aria-label': 'Next rows',
          onclick: () => { this.offset += PAGE; void this.loadPreview(); } }, 'Next'));
      if (page.kind === 'tabular') {
        this.preview.append(table((page.columns ?? []).map(c => c[0]),
          (page.rows ?? []).map(r => r.map(cellText)), 'mlws-table mlws-compact mlws-preview'),
        pager);
      } else {
        this.preview.append(h('p', { className: 'mlws-muted' }, `${page.total} files`),
          table(['Path', 'Size', 'Modified'], (page.files ?? []).map(f =>
            [f.path, formatBytes(f.size), formatTime(f.mtime)]), 'mlws-table mlws-compact mlws-preview'),
          pager);
      }
    } catch (err) {
      if (mine === this.latest.preview) {
        clear(this.preview);
        this.preview.append(emptyState(`The preview could not be read: ${errorMessage(err)}`));
      }
    }
  }

  private async loadRuns(): Promise<void> {
    const mine = ++this.latest.runs;
    try {
      const runs = await getRuns(this.studio.api, this.ws, this.datasetName, this.version);
      if (mine !== this.latest.runs) {
        return;
      }
      clear(this.runs);
      this.runs.append(h('h3', null, 'Runs'));
      const rows = [...runs.inputs.map(r => ['read', r] as const),
        ...runs.outputs.map(r => ['wrote', r] as const)].map(([how, r]) => [
        h('button', { className: 'mlws-link-button', type: 'button', 'data-run-id': r.id,
          onclick: () => this.studio.openRun(this.ws, r.id) }, r.display_name || r.id),
        r.experiment_name, statusBadge(r.status), how]);
      this.runs.append(rows.length ? table(['Run', 'Experiment', 'Status', ''], rows,
        'mlws-table mlws-compact mlws-dataset-runs-table')
        : h('p', { className: 'mlws-muted' }, 'No run has read or written this version.'));
    } catch (err) {
      if (mine === this.latest.runs) {
        clear(this.runs);
        this.runs.append(emptyState(`The runs could not be read: ${errorMessage(err)}`));
      }
    }
  }
}

/** Open (or show) the dataset's view, at ``version`` (default: the latest). */
export function openDataset(studio: Studio, ws: string, name: string, version?: number): void {
  const id = `mlws-dataset-${ws}-${name}`;
  for (const w of studio.app.shell.widgets('main')) {
    if (w.id === id) {
      studio.app.shell.activateById(id);
      if (version !== undefined && w instanceof MainAreaWidget &&
          w.content instanceof DatasetView) {
        void w.content.load(version);
      }
      return;
    }
  }
  const view = new DatasetView(studio, ws, name);
  const widget = new MainAreaWidget({ content: view });
  widget.id = id;
  widget.title.label = `Dataset ${name}`;
  widget.title.closable = true;
  studio.app.shell.add(widget, 'main');
  studio.app.shell.activateById(id);
  void view.load(version);
}
