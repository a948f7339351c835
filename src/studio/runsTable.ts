// The runs table of one experiment: server-side sorting, search, status and value queries
// (metrics.accuracy > 0.9 and tags.team = 'vision') and paging, a virtualized body (10,000
// runs scroll smoothly, only visible pages are read), columns chosen from the values the runs
// have, resized, reordered and hidden, child runs on request; select all, a right-click menu
// (open, compare, tag, cancel, delete), CSV of what is shown, the view saved per experiment.
// The analysis panel (parallel coordinates, scatter, importance, charts) brushes the table.
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { SweepView } from '../common/analysis/sweepView';
import { clear, emptyState, errorMessage, h, saveBlob } from '../common/dom';
import type { RunStatus, RunValues } from '../common/types';
import type { RunSearch } from '../rest/api';
import {
  ALL_RUNS, ColumnChooser, type Row, type TableView, columnsTemplate, loadView, newColumn,
  rowOf, runsCsv, runsSetSource, saveView
} from './runColumns';
import { filtersBar } from './runsFilters';
import { RunsHeader } from './runsHeader';
import { RunsSelection, openColumnMenu, openRunsMenu, registerTable } from './runsActions';
import { PAGE, RunPages } from './runsPages';
import { runRow } from './runsRow';
import { applyPermissions } from './access';
import type { Studio } from './studio';

const ROW_HEIGHT = 30;
const REFRESH_MS = 3000;
let tables = 0;

export class RunsTableContent extends Widget {
  private selection: RunsSelection;
  private view: TableView;
  private pages: RunPages;
  /** Rows of the brushed runs (client-side), or null: pages from the server. */
  private brushedRows: Row[] | null = null;
  private allValues: RunValues | null = null;
  private viewport = h('div', { className: 'mlws-runs-viewport', tabindex: 0,
    'aria-label': 'Runs' });
  private spacer = h('div', { className: 'mlws-runs-spacer' });
  private header: RunsHeader;
  private countLabel = h('span', { className: 'mlws-muted mlws-runs-count' });
  private queryError = h('div', { className: 'mlws-error mlws-query-error', role: 'alert' });
  private compareButton: HTMLButtonElement;
  private cancelButton: HTMLButtonElement;
  private deleteButton: HTMLButtonElement;
  private chooser: ColumnChooser;
  private analysisHost = h('div', { className: 'mlws-runs-analysis' });
  private sweep: SweepView | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private unregister: () => void;

  constructor(private studio: Studio, private workspaceId: string,
    readonly experiment: string) {
    super();
    this.addClass('mlws-runs-table');
    this.view = loadView(workspaceId, experiment);
    this.pages = new RunPages((offset, limit) => this.studio.api.runValues(this.workspaceId,
      { ...this.query(), limit, offset }, this.columnKeys()), error => {
      // A query that does not parse: say where, keep the table as it was.
      this.queryError.textContent = error ? errorMessage(error) : '';
      this.queryError.hidden = !error;
      this.render();
    });
    this.selection = new RunsSelection(`mlws-runs-table-${++tables}`, studio, workspaceId,
      reload => {
        this.updateButtons();
        if (reload) {
          this.reload(true);
        } else {
          this.render();
        }
      }, key => this.hideColumn(key));
    this.unregister = registerTable(this.selection);
    this.chooser = new ColumnChooser(() => this.view.columns.map(c => c.key),
      (key, on) => this.setColumn(key, on));
    const button = (label: string, onclick: () => void, cls = '', title = ''): HTMLButtonElement =>
      h('button', { className: `mlws-button ${cls}`, type: 'button', onclick, title }, label);
    this.compareButton = button('Compare', () => this.selection.compareSelected(),
      'mlws-primary');
    this.cancelButton = button('Cancel runs', () => void this.selection.cancelSelected(), '',
      'Cancel the selected runs that are still running');
    this.deleteButton = button('Delete', () => void this.selection.deleteSelected(),
      'mlws-danger');
    const columnsButton = h('button', { className: 'mlws-button', type: 'button',
      'aria-expanded': 'false', onclick: () => {
        this.chooser.node.hidden = !this.chooser.node.hidden;
        columnsButton.setAttribute('aria-expanded', String(!this.chooser.node.hidden));
        if (!this.chooser.node.hidden) {
          void this.loadKeys();
        }
      } }, 'Columns');
    // The header scrolls sideways with the rows and stays on top (sticky).
    this.header = new RunsHeader({
      view: () => this.view,
      sort: (orderBy, descending) => this.change({ orderBy, descending }),
      widths: () => this.render(),
      saved: () => this.persist(),
      move: (key, before) => this.moveColumn(key, before),
      columnMenu: (key, label, ev) => openColumnMenu(this.studio, this.selection, key, label,
        ev),
      selectAll: async on => {
        if (on) {
          await this.selectAll();
        } else {
          this.selection.clear();
        }
        this.updateButtons();
        this.render();
      }
    });
    this.viewport.append(this.header.node, this.spacer);
    this.viewport.addEventListener('scroll', () => this.render());
    this.node.append(
      filtersBar(this.view, patch => this.change(patch), on => {
        this.view.analysis = on;
        this.persist();
        this.showAnalysis();
      }),
      this.queryError,
      h('div', { className: 'mlws-toolbar' }, this.compareButton, this.cancelButton,
        this.deleteButton, columnsButton,
        h('button', { className: 'mlws-button', type: 'button', title: 'The shown columns of ' +
          'every run the filters match (or of the brushed runs), as CSV',
        onclick: () => void this.exportCsv() }, 'Export CSV'),
        h('button', { className: 'mlws-button', type: 'button', onclick: () => this.reload(true) },
          'Refresh'), this.countLabel),
      this.chooser.node, this.analysisHost,
      h('div', { className: 'mlws-runs-grid', role: 'grid' }, this.viewport));
    this.queryError.hidden = true;
    this.updateButtons();
    this.reload();
    this.showAnalysis();
    void applyPermissions(studio, workspaceId, this.node);
  }

  dispose(): void {
    this.unregister();
    this.sweep?.dispose();
    super.dispose();
  }

  // ---- query and view
  private query(): RunSearch {
    return {
      experiment: this.experiment, order_by: this.view.orderBy,
      descending: this.view.descending, text: this.view.text,
      status: this.view.status ? [this.view.status as RunStatus] : undefined, filter: this.view.filter || undefined,
      include_children: this.view.includeChildren || undefined
    };
  }

  private columnKeys(): string[] {
    return this.view.columns.map(c => c.key);
  }

  private persist(): void {
    saveView(this.workspaceId, this.experiment, this.view);
  }

  /** A new filter or sort: save the view, read from the top. */
  private change(patch: Partial<TableView>): void {
    this.view = { ...this.view, ...patch };
    this.persist();
    this.reload();
    if (this.view.analysis) {
      void this.sweep?.load();
    }
  }

  private setColumn(key: string, on: boolean): void {
    const has = this.view.columns.some(c => c.key === key);
    if (on && !has) {
      this.view.columns.push(newColumn(key));
    } else if (!on && has) {
      this.view.columns = this.view.columns.filter(c => c.key !== key);
    }
    this.persist();
    this.reload(true);
  }

  hideColumn(key: string): void {
    this.setColumn(key, false);
    this.chooser.render();
  }

  private async loadKeys(): Promise<void> {
    try {
      this.chooser.setKeys(await this.studio.api.runKeys(this.workspaceId, this.query()));
    } catch (err) {
      this.studio.notifyError('Reading the column names failed', err);
    }
  }

  /** Read again from the first page; a new sort or filter also starts at the top. */
  reload(keepScroll = false): void {
    this.pages.reset();
    this.brushedRows = null;
    if (!keepScroll) {
      this.viewport.scrollTop = 0;
    }
    this.header.render();
    void this.pages.fetch(0);
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
    if (!this.isVisible || this.brushedRows) {
      return;
    }
    this.pages.refreshActive(...this.visiblePages());
  }

  private template(): string {
    return columnsTemplate(this.view.columns);
  }

  /** Put column `key` before column `before` (headers moved by dragging). */
  moveColumn(key: string, before: string): void {
    if (key === before) {
      return;
    }
    const cols = this.view.columns;
    const moving = cols.find(c => c.key === key);
    if (!moving) {
      return;
    }
    const rest = cols.filter(c => c.key !== key);
    rest.splice(rest.findIndex(c => c.key === before), 0, moving);
    this.view.columns = rest;
    this.persist();
    this.header.render();
    this.render();
  }

  // ---- data
  private async selectAll(): Promise<void> {
    if (this.brushedRows) {
      this.brushedRows.forEach(r => this.track(r, true));
      return;
    }
    const all = await this.studio.api.runValues(this.workspaceId,
      { ...this.query(), limit: ALL_RUNS }, []);
    all.ids.forEach((_, i) => this.track(rowOf(all, i), true));
  }

  private track(row: Row, on: boolean): void {
    this.selection.track(row.id, String(row.get('attributes.status') ?? 'Completed'), on);
  }

  private visiblePages(): [number, number] {
    const first = Math.floor(this.viewport.scrollTop / ROW_HEIGHT);
    const count = Math.ceil((this.viewport.clientHeight || 600) / ROW_HEIGHT) + 1;
    return [Math.floor(first / PAGE), Math.floor((first + count) / PAGE)];
  }

  private rowAt(i: number): Row | null {
    if (this.brushedRows) {
      return this.brushedRows[i] ?? null;
    }
    return this.pages.row(i);
  }

  private rowCount(): number {
    return this.brushedRows ? this.brushedRows.length : this.pages.total;
  }

  private render(): void {
    const total = this.rowCount();
    this.spacer.style.height = `${total * ROW_HEIGHT}px`;
    this.countLabel.textContent = this.brushedRows
      ? `${total} of ${this.pages.total} runs (brushed)` : `${total} run${total === 1 ? '' : 's'}`;
    clear(this.spacer);
    if (total === 0 && this.pages.loadedOnce && !this.brushedRows) {
      const filtered = this.view.text || this.view.status || this.view.filter;
      this.spacer.append(emptyState(filtered ? 'No runs match these filters.'
        : 'No runs in this experiment yet.',
      'Start one from a notebook: run = Experiment(ws, "' + this.experiment +
        '").start_logging()'));
      this.spacer.style.height = 'auto';
      return;
    }
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - 5);
    const count = Math.ceil((this.viewport.clientHeight || 600) / ROW_HEIGHT) + 10;
    const last = Math.min(total, first + count);
    const template = this.template();
    const columns = this.columnKeys();
    for (let i = first; i < last; i++) {
      const row = this.rowAt(i);
      if (!row) {
        void this.pages.fetch(Math.floor(i / PAGE));
        continue;
      }
      this.spacer.append(this.renderRow(row, i, template, columns));
    }
  }

  private renderRow(row: Row, i: number, template: string, columns: string[]): HTMLElement {
    return runRow(row, i * ROW_HEIGHT, template, columns, {
      selected: this.selection.selected.has(row.id),
      select: on => {
        this.track(row, on);
        this.updateButtons();
      },
      open: () => this.studio.openRun(this.workspaceId, row.id),
      contextMenu: ev => {
        if (!this.selection.selected.has(row.id)) {
          // Like a file manager: the menu acts on the row under the pointer.
          this.selection.clear();
          this.track(row, true);
          this.updateButtons();
          this.render();
        }
        openRunsMenu(this.studio, this.selection, ev);
      }
    });
  }

  private updateButtons(): void {
    const n = this.selection.selected.size;
    const active = this.selection.activeSelected();
    this.compareButton.disabled = n < 2;
    this.deleteButton.disabled = n === 0;
    this.cancelButton.disabled = active === 0;
    this.compareButton.textContent = `Compare${n ? ` (${n})` : ''}`;
    this.cancelButton.textContent = `Cancel runs${active ? ` (${active})` : ''}`;
  }

  // ---- analysis and brushing
  private showAnalysis(): void {
    clear(this.analysisHost);
    if (!this.view.analysis) {
      this.sweep?.dispose();
      this.sweep = null;
      this.brushed(null);
      return;
    }
    if (!this.sweep) {
      const source = runsSetSource(this.studio, this.workspaceId, () => this.query(),
        () => this.columnKeys(), values => { this.allValues = values; });
      this.sweep = new SweepView(source, ids => this.brushed(ids));
      void this.sweep.load();
    }
    this.analysisHost.append(this.sweep.node);
  }

  private brushed(ids: Set<string> | null): void {
    const all = this.allValues;
    if (!ids || !all) {
      if (this.brushedRows) {
        this.brushedRows = null;
        this.reload(true);
      }
      return;
    }
    this.brushedRows = all.ids.map((_, i) => rowOf(all, i)).filter(r => ids.has(r.id));
    this.viewport.scrollTop = 0;
    this.render();
  }

  /** The shown columns of every matching run (or the brushed ones) as CSV. */
  async exportCsv(): Promise<void> {
    const keys = this.columnKeys();
    let rows: Row[];
    if (this.brushedRows) {
      rows = this.brushedRows;
    } else {
      try {
        const all = await this.studio.api.runValues(this.workspaceId,
          { ...this.query(), limit: ALL_RUNS }, keys);
        rows = all.ids.map((_, i) => rowOf(all, i));
      } catch (err) {
        this.studio.notifyError('Exporting the runs failed', err);
        return;
      }
    }
    saveBlob(new Blob([runsCsv(rows, keys)], { type: 'text/csv' }),
      `${this.experiment}-runs.csv`);
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
