// The runs table of one experiment: server-side sorting, filtering, text search and paging,
// with a virtualized body so 10,000 runs scroll smoothly (only visible pages are fetched).
// Multi-select to compare or delete.
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { toNumber } from '../common/chart';
import { clear, emptyState, formatDuration, formatTime, formatValue, h, runDuration, statusBadge } from '../common/dom';
import { isTerminal, type MetricScalar, type Run } from '../common/types';
import { confirmDialog } from './dialogs';
import type { Studio } from './studio';

const ROW_HEIGHT = 30;
const PAGE = 100;
const REFRESH_MS = 3000;
const STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Queued', 'Preparing',
  'Starting', 'NotStarted', 'Finalizing'];

interface Column {
  label: string;
  orderBy?: string;
  cell: (run: Run) => string | Node;
  width: string;
}

export class RunsTableContent extends Widget {
  private pages = new Map<number, Run[]>();
  private pending = new Set<number>();
  private metricValues = new Map<string, Record<string, MetricScalar>>();
  private total = 0;
  private generation = 0;
  private orderBy = 'created_time';
  private descending = true;
  private text = '';
  private status = '';
  private tag = '';
  private includeChildren = false;
  private metricNames: string[] = [];
  private selected = new Set<string>();
  private viewport = h('div', { className: 'mlws-runs-viewport', tabindex: 0,
    'aria-label': 'Runs' });
  private spacer = h('div', { className: 'mlws-runs-spacer' });
  private headerRow = h('div', { className: 'mlws-runs-row mlws-runs-head', role: 'row' });
  private countLabel = h('span', { className: 'mlws-muted mlws-runs-count' });
  private compareButton: HTMLButtonElement;
  private deleteButton: HTMLButtonElement;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private studio: Studio, private workspaceId: string,
    readonly experiment: string) {
    super();
    this.addClass('mlws-runs-table');
    let debounce: ReturnType<typeof setTimeout> | null = null;
    const search = h('input', {
      className: 'mlws-input', type: 'search', placeholder: 'Search name or id',
      'aria-label': 'Search runs',
      oninput: () => {
        if (debounce) {
          clearTimeout(debounce);
        }
        debounce = setTimeout(() => {
          this.text = search.value.trim();
          this.reload();
        }, 250);
      }
    });
    const status = h('select', {
      className: 'mlws-input', 'aria-label': 'Filter by status',
      onchange: () => {
        this.status = status.value;
        this.reload();
      }
    }, h('option', { value: '' }, 'Any status'), STATUSES.map(s => h('option', { value: s }, s)));
    const tag = h('input', {
      className: 'mlws-input', placeholder: 'tag or tag:value', 'aria-label': 'Filter by tag',
      onchange: () => {
        this.tag = tag.value.trim();
        this.reload();
      }
    });
    const metrics = h('input', {
      className: 'mlws-input', placeholder: 'metric columns, e.g. loss, acc',
      'aria-label': 'Metric columns',
      onchange: () => {
        this.metricNames = metrics.value.split(',').map(s => s.trim()).filter(Boolean);
        this.metricValues.clear();
        this.reload();
      }
    });
    this.compareButton = h('button', {
      className: 'mlws-button mlws-primary', type: 'button', disabled: true,
      onclick: () => this.studio.openCompare(this.workspaceId, [...this.selected])
    }, 'Compare');
    this.deleteButton = h('button', {
      className: 'mlws-button mlws-danger', type: 'button', disabled: true,
      onclick: () => void this.deleteSelected()
    }, 'Delete');
    const children = h('input', { type: 'checkbox', 'aria-label': 'Include child runs',
      onchange: () => {
        this.includeChildren = children.checked;
        this.reload();
      } });
    this.viewport.append(this.spacer);
    this.viewport.addEventListener('scroll', () => this.render());
    this.node.append(
      h('div', { className: 'mlws-toolbar' }, search, status, tag, metrics,
        h('label', null, children, ' Include child runs'),
        this.compareButton, this.deleteButton,
        h('button', { className: 'mlws-button', type: 'button', onclick: () => this.reload(true) },
          'Refresh'), this.countLabel),
      h('div', { className: 'mlws-runs-grid', role: 'grid' }, this.headerRow, this.viewport));
    this.reload();
  }

  private columns(): Column[] {
    const cols: Column[] = [
      { label: 'Status', orderBy: 'status', width: '130px', cell: r => statusBadge(r.status) },
      { label: 'Name', orderBy: 'number', width: 'minmax(160px, 2fr)',
        cell: r => h('span', { title: r.id }, r.display_name || r.id) },
      { label: 'Started', orderBy: 'start_time', width: '170px',
        cell: r => formatTime(r.start_time) },
      { label: 'Duration', width: '100px', cell: r => formatDuration(runDuration(r)) },
      { label: 'Tags', width: 'minmax(120px, 1.5fr)', cell: r => Object.entries(r.tags)
        .map(([k, v]) => (v === null ? k : `${k}:${v}`)).join(', ') }
    ];
    for (const name of this.metricNames) {
      cols.push({ label: name, orderBy: `metric:${name}`, width: '110px',
        cell: r => formatValue(this.metricValues.get(r.id)?.[name]) });
    }
    return cols;
  }

  private template(): string {
    return ['32px', ...this.columns().map(c => c.width)].join(' ');
  }

  /** Read again from the first page; a new sort or filter also starts at the top. */
  reload(keepScroll = false): void {
    this.generation += 1;
    this.pages.clear();
    this.pending.clear();
    if (!keepScroll) {
      this.viewport.scrollTop = 0;
    }
    this.renderHeader();
    void this.fetchPage(0);
  }

  private query(): Record<string, string | number | boolean | string[] | undefined> {
    return {
      experiment: this.experiment, order_by: this.orderBy, descending: this.descending,
      text: this.text, status: this.status || undefined, tag: this.tag ? [this.tag] : undefined,
      include_children: this.includeChildren || undefined
    };
  }

  /** Every run the filters match (for "select all"). */
  private async allIds(): Promise<string[]> {
    const ids: string[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await this.studio.api.listRuns(this.workspaceId,
        { ...this.query(), limit: 1000, offset });
      ids.push(...page.runs.map(r => r.id));
      if (page.runs.length < 1000) {
        return ids;
      }
    }
  }

  protected onAfterAttach(): void {
    this.timer = setInterval(() => this.refreshActive(), REFRESH_MS);
  }

  protected onBeforeDetach(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
  }

  /** Refetch the visible pages when one of their runs is still active. */
  private refreshActive(): void {
    if (!this.isVisible) {
      return;
    }
    const [first, last] = this.visiblePages();
    for (let p = first; p <= last; p++) {
      if (this.pages.get(p)?.some(r => !isTerminal(r.status))) {
        void this.fetchPage(p, true);
      }
    }
  }

  private renderHeader(): void {
    clear(this.headerRow);
    this.headerRow.style.gridTemplateColumns = this.template();
    const all = h('input', { type: 'checkbox', 'aria-label': 'Select all runs',
      onchange: async () => {
        if (all.checked) {
          (await this.allIds()).forEach(id => this.selected.add(id));
        } else {
          this.selected.clear();
        }
        this.updateButtons();
        this.render();
      } });
    this.headerRow.append(h('span', null, all));
    for (const col of this.columns()) {
      const sorted = col.orderBy === this.orderBy;
      const arrow = sorted ? (this.descending ? ' ▼' : ' ▲') : '';
      this.headerRow.append(col.orderBy
        ? h('button', {
          className: 'mlws-runs-sort', type: 'button', role: 'columnheader',
          'aria-sort': sorted ? (this.descending ? 'descending' : 'ascending') : 'none',
          onclick: () => {
            this.descending = sorted ? !this.descending : true;
            this.orderBy = col.orderBy!;
            this.reload();
          }
        }, col.label + arrow)
        : h('span', { role: 'columnheader' }, col.label));
    }
  }

  private async fetchPage(page: number, force = false): Promise<void> {
    if (this.pending.has(page) || (!force && this.pages.has(page))) {
      return;
    }
    const generation = this.generation;
    this.pending.add(page);
    try {
      const result = await this.studio.api.listRuns(this.workspaceId, {
        ...this.query(), limit: PAGE, offset: page * PAGE });
      if (generation !== this.generation) {
        return;
      }
      this.total = result.total;
      this.pages.set(page, result.runs);
      if (this.metricNames.length && result.runs.length) {
        const series = await this.studio.api.queryMetrics(this.workspaceId,
          result.runs.map(r => r.id), this.metricNames, 2);
        for (const s of series) {
          const last = s.value?.[s.value.length - 1];
          const values = this.metricValues.get(s.run_id) ?? {};
          values[s.name] = toNumber(last) ?? (last as MetricScalar);
          this.metricValues.set(s.run_id, values);
        }
      }
    } catch (err) {
      this.studio.notifyError('Loading runs failed', err);
    } finally {
      this.pending.delete(page);
    }
    this.render();
  }

  private visiblePages(): [number, number] {
    const first = Math.floor(this.viewport.scrollTop / ROW_HEIGHT);
    const count = Math.ceil((this.viewport.clientHeight || 600) / ROW_HEIGHT) + 1;
    return [Math.floor(first / PAGE), Math.floor((first + count) / PAGE)];
  }

  private render(): void {
    this.spacer.style.height = `${this.total * ROW_HEIGHT}px`;
    this.countLabel.textContent = `${this.total} run${this.total === 1 ? '' : 's'}`;
    clear(this.spacer);
    if (this.total === 0 && this.pages.has(0)) {
      this.spacer.append(emptyState(this.text || this.status || this.tag
        ? 'No runs match these filters.'
        : 'No runs in this experiment yet.',
      'Start one from a notebook: run = Experiment(ws, "' + this.experiment +
        '").start_logging()'));
      this.spacer.style.height = 'auto';
      return;
    }
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - 5);
    const count = Math.ceil((this.viewport.clientHeight || 600) / ROW_HEIGHT) + 10;
    const last = Math.min(this.total, first + count);
    const template = this.template();
    const columns = this.columns();
    for (let i = first; i < last; i++) {
      const page = Math.floor(i / PAGE);
      const run = this.pages.get(page)?.[i % PAGE];
      if (!run) {
        void this.fetchPage(page);
        continue;
      }
      const box = h('input', {
        type: 'checkbox', 'aria-label': `Select run ${run.display_name || run.id}`,
        onclick: (ev: Event) => ev.stopPropagation(),
        onchange: () => {
          if (box.checked) {
            this.selected.add(run.id);
          } else {
            this.selected.delete(run.id);
          }
          this.updateButtons();
        }
      });
      box.checked = this.selected.has(run.id);
      const row = h('div', {
        className: 'mlws-runs-row', role: 'row', tabindex: 0, 'data-run-id': run.id,
        style: `top: ${i * ROW_HEIGHT}px; grid-template-columns: ${template}`,
        onclick: () => this.studio.openRun(this.workspaceId, run.id),
        onkeydown: (ev: Event) => {
          if ((ev as KeyboardEvent).key === 'Enter') {
            this.studio.openRun(this.workspaceId, run.id);
          }
        }
      }, h('span', null, box), columns.map(c => h('span', { className: 'mlws-cell' }, c.cell(run))));
      this.spacer.append(row);
    }
  }

  private updateButtons(): void {
    this.compareButton.disabled = this.selected.size < 2;
    this.deleteButton.disabled = this.selected.size === 0;
    this.compareButton.textContent = `Compare${this.selected.size ? ` (${this.selected.size})` : ''}`;
  }

  private async deleteSelected(): Promise<void> {
    const ids = [...this.selected];
    if (!(await confirmDialog('Delete runs',
      `Delete ${ids.length} run(s) with their metrics, files and child runs?`))) {
      return;
    }
    for (const id of ids) {
      try {
        await this.studio.api.deleteRun(this.workspaceId, id);
      } catch (err) {
        this.studio.notifyError(`Deleting run ${id} failed`, err);
      }
      this.selected.delete(id);
    }
    this.updateButtons();
    this.reload(true);
    this.studio.dataChanged.emit();
  }
}

export class RunsTableWidget extends MainAreaWidget<RunsTableContent> {
  /** The workspace (and experiment) the view shows: closed when they are deleted. */
  mlwsOwner?: { workspaceId: string; experiment?: string };

  constructor(studio: Studio, workspaceId: string, experiment: string) {
    super({ content: new RunsTableContent(studio, workspaceId, experiment) });
    this.title.label = `Runs: ${experiment}`;
    this.title.closable = true;
  }
}
