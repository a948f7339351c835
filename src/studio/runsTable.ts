// The runs table of one experiment: server-side sorting, search, status and value queries
// (metrics.accuracy > 0.9 and tags.team = 'vision') and paging, a virtualized body (10,000
// runs scroll smoothly, only visible pages are read), columns chosen from the values the runs
// have, resized, reordered and hidden, child runs on request; select all, a right-click menu
// (open, compare, tag, cancel, delete), CSV of what is shown, the view saved per experiment.
// The analysis panel (parallel coordinates, scatter, importance, charts) brushes the table.
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { SweepView } from '../common/analysis/sweepView';
import { csvRow } from '../common/csv';
import { clear, emptyState, errorMessage, h, saveBlob } from '../common/dom';
import type { RunSetSource } from '../common/source';
import { isTerminal, type RunValues } from '../common/types';
import type { Query } from '../rest/api';
import { confirmDialog } from './dialogs';
import {
  ColumnChooser, type TableView, cell, clampWidth, csvValue, headerLabel, loadView, newColumn,
  orderKeyOf, saveView
} from './runColumns';
import { type RunsActions, openColumnMenu, openRunsMenu, registerTable } from './runsActions';
import type { Studio } from './studio';

const ROW_HEIGHT = 30;
const PAGE = 100;
const REFRESH_MS = 3000;
const ALL_LIMIT = 100_000;
const STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Queued', 'Preparing',
  'Starting', 'NotStarted', 'Finalizing', 'CancelRequested'];
let tables = 0;

/** One row of the table: a run's values, read from a page (or the brushed set). */
interface Row {
  id: string;
  get(key: string): unknown;
}

function rowOf(values: RunValues, i: number): Row {
  return { id: values.ids[i], get: key => values.columns[key]?.[i] };
}

export class RunsTableContent extends Widget implements RunsActions {
  readonly tableId = `mlws-runs-table-${++tables}`;
  private view: TableView;
  private pages = new Map<number, RunValues>();
  private pending = new Set<number>();
  private total = 0;
  private loadedOnce = false;
  private generation = 0;
  private selected = new Set<string>();
  private active = new Set<string>();
  /** Rows of the brushed runs (client-side), or null: pages from the server. */
  private brushedRows: Row[] | null = null;
  private allValues: RunValues | null = null;
  private viewport = h('div', { className: 'mlws-runs-viewport', tabindex: 0,
    'aria-label': 'Runs' });
  private spacer = h('div', { className: 'mlws-runs-spacer' });
  private headerRow = h('div', { className: 'mlws-runs-row mlws-runs-head', role: 'row' });
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
  private justMoved = false;

  constructor(private studio: Studio, private workspaceId: string,
    readonly experiment: string) {
    super();
    this.addClass('mlws-runs-table');
    this.view = loadView(workspaceId, experiment);
    this.unregister = registerTable(this);
    this.chooser = new ColumnChooser(() => this.view.columns.map(c => c.key),
      (key, on) => this.setColumn(key, on));
    let debounce: ReturnType<typeof setTimeout> | null = null;
    const search = h('input', {
      className: 'mlws-input', type: 'search', placeholder: 'Search name or id',
      'aria-label': 'Search runs', value: this.view.text,
      oninput: () => {
        if (debounce) {
          clearTimeout(debounce);
        }
        debounce = setTimeout(() => this.change({ text: search.value.trim() }), 250);
      }
    });
    const status = h('select', {
      className: 'mlws-input', 'aria-label': 'Filter by status',
      onchange: () => this.change({ status: status.value })
    }, h('option', { value: '' }, 'Any status'), STATUSES.map(s => h('option', { value: s }, s)));
    status.value = this.view.status;
    const query = h('input', {
      className: 'mlws-input mlws-query-input', type: 'search', value: this.view.filter,
      placeholder: 'Query: metrics.accuracy > 0.9 and tags.team = \'vision\'',
      'aria-label': 'Query runs', title: 'A value query over metrics.<name>, tags.<key>, ' +
        'properties.<key> and run fields (status, number, duration, created_time, user, ' +
        '...) with = != < <= > >=, in (...), contains, is null, and, or, not. Enter applies.',
      onkeydown: (ev: Event) => {
        if ((ev as KeyboardEvent).key === 'Enter') {
          this.change({ filter: query.value.trim() });
        }
      },
      onsearch: () => {
        if (!query.value) {
          this.change({ filter: '' });
        }
      }
    });
    const children = h('input', { type: 'checkbox', 'aria-label': 'Include child runs',
      onchange: () => this.change({ includeChildren: children.checked }) });
    children.checked = this.view.includeChildren;
    const button = (label: string, onclick: () => void, cls = '', title = ''): HTMLButtonElement =>
      h('button', { className: `mlws-button ${cls}`, type: 'button', onclick, title });
    this.compareButton = button('Compare', () => this.compareSelected(), 'mlws-primary');
    this.compareButton.textContent = 'Compare';
    this.cancelButton = button('Cancel', () => void this.cancelSelected(), '',
      'Cancel the selected runs that are still running');
    this.cancelButton.textContent = 'Cancel runs';
    this.deleteButton = button('Delete', () => void this.deleteSelected(), 'mlws-danger');
    this.deleteButton.textContent = 'Delete';
    const columnsButton = h('button', { className: 'mlws-button', type: 'button',
      'aria-expanded': 'false', onclick: () => {
        this.chooser.node.hidden = !this.chooser.node.hidden;
        columnsButton.setAttribute('aria-expanded', String(!this.chooser.node.hidden));
        if (!this.chooser.node.hidden) {
          void this.loadKeys();
        }
      } }, 'Columns');
    const analysisBox = h('input', { type: 'checkbox', 'aria-label': 'Show analysis',
      onchange: () => {
        this.view.analysis = analysisBox.checked;
        this.persist();
        this.showAnalysis();
      } });
    analysisBox.checked = this.view.analysis;
    // The header scrolls sideways with the rows and stays on top (sticky).
    this.viewport.append(this.headerRow, this.spacer);
    this.viewport.addEventListener('scroll', () => this.render());
    this.node.append(
      h('div', { className: 'mlws-toolbar' }, search, status, query,
        h('label', null, children, ' Include child runs'),
        h('label', null, analysisBox, ' Analysis')),
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
  }

  dispose(): void {
    this.unregister();
    this.sweep?.dispose();
    super.dispose();
  }

  // ---- query and view
  private query(): Query {
    return {
      experiment: this.experiment, order_by: this.view.orderBy,
      descending: this.view.descending, text: this.view.text,
      status: this.view.status || undefined, filter: this.view.filter || undefined,
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
    this.generation += 1;
    this.pages.clear();
    this.pending.clear();
    this.brushedRows = null;
    if (!keepScroll) {
      this.viewport.scrollTop = 0;
    }
    this.renderHeader();
    void this.fetchPage(0);
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
    const [first, last] = this.visiblePages();
    for (let p = first; p <= last; p++) {
      const page = this.pages.get(p);
      if (page?.columns['attributes.status']?.some(s => !isTerminal(String(s)))) {
        void this.fetchPage(p, true);
      }
    }
  }

  private template(): string {
    return ['32px', ...this.view.columns.map(c => `${c.width}px`)].join(' ');
  }

  // ---- header: sort, resize, reorder, hide
  private renderHeader(): void {
    clear(this.headerRow);
    this.headerRow.style.gridTemplateColumns = this.template();
    const all = h('input', { type: 'checkbox', 'aria-label': 'Select all runs',
      onchange: async () => {
        if (all.checked) {
          await this.selectAll();
        } else {
          this.selected.clear();
          this.active.clear();
        }
        this.updateButtons();
        this.render();
      } });
    this.headerRow.append(h('span', { className: 'mlws-runs-select' }, all));
    for (const col of this.view.columns) {
      const order = orderKeyOf(col.key);
      const sorted = order !== null && order === this.view.orderBy;
      const label = headerLabel(col.key);
      const cellNode = h('div', { className: 'mlws-runs-headcell', role: 'columnheader',
        'data-column': col.key, title: `${col.key}` + (order ? ''
          : ' (not sortable)'),
        'aria-sort': sorted ? (this.view.descending ? 'descending' : 'ascending') : 'none',
        oncontextmenu: (ev: Event) => {
          ev.preventDefault();
          openColumnMenu(this.studio, this, col.key, label, ev as MouseEvent);
        } });
      cellNode.append(order
        ? h('button', {
          className: 'mlws-runs-sort', type: 'button', 'aria-label': label,
          onclick: () => this.change({ orderBy: order,
            descending: sorted ? !this.view.descending : true })
        }, label + (sorted ? (this.view.descending ? ' ▼' : ' ▲') : ''))
        : h('span', { className: 'mlws-runs-sort mlws-muted' }, label));
      const handle = h('span', { className: 'mlws-col-resize', role: 'separator',
        'aria-label': `Resize ${label}`, 'aria-orientation': 'vertical' });
      handle.addEventListener('pointerdown', ev => this.resize(col.key, ev));
      handle.addEventListener('mousedown', ev => ev.stopPropagation());
      cellNode.append(handle);
      cellNode.addEventListener('pointerdown', ev => this.startMove(col.key, ev));
      cellNode.addEventListener('click', ev => {
        if (this.justMoved) {
          // The pointer-up that ended a move is not a click on the sort button.
          ev.stopPropagation();
          ev.preventDefault();
          this.justMoved = false;
        }
      }, true);
      this.headerRow.append(cellNode);
    }
  }

  /** Drag a header sideways onto another to move its column there (pointer events: the
   * header holds a button, which HTML5 drag and drop would not start from). */
  private startMove(key: string, ev: PointerEvent): void {
    if (ev.button !== 0 || (ev.target as HTMLElement).closest('.mlws-col-resize')) {
      return;
    }
    const startX = ev.clientX;
    let moving = false;
    let over: HTMLElement | null = null;
    const target = (e: PointerEvent): HTMLElement | null => {
      const hit = document.elementFromPoint(e.clientX, e.clientY);
      return (hit?.closest('.mlws-runs-headcell') as HTMLElement | null) ?? null;
    };
    const move = (e: PointerEvent): void => {
      if (!moving && Math.abs(e.clientX - startX) > 6) {
        moving = true;
        this.headerRow.classList.add('mlws-moving-column');
      }
      if (moving) {
        over?.classList.remove('mlws-drop-target');
        over = target(e);
        if (over && over.dataset.column !== key) {
          over.classList.add('mlws-drop-target');
        }
      }
    };
    const up = (e: PointerEvent): void => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      this.headerRow.classList.remove('mlws-moving-column');
      over?.classList.remove('mlws-drop-target');
      const dropped = moving ? target(e)?.dataset.column : undefined;
      if (moving) {
        this.justMoved = true;
        setTimeout(() => { this.justMoved = false; }, 0);
      }
      if (dropped && dropped !== key) {
        this.moveColumn(key, dropped);
      }
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
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
    this.renderHeader();
    this.render();
  }

  private resize(key: string, ev: PointerEvent): void {
    ev.preventDefault();
    ev.stopPropagation();
    const col = this.view.columns.find(c => c.key === key);
    if (!col) {
      return;
    }
    const startX = ev.clientX;
    const startWidth = col.width;
    const move = (e: PointerEvent): void => {
      col.width = clampWidth(startWidth + e.clientX - startX);
      this.headerRow.style.gridTemplateColumns = this.template();
      this.render();
    };
    const up = (): void => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      this.persist();
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  // ---- data
  private async fetchPage(page: number, force = false): Promise<void> {
    if (this.pending.has(page) || (!force && this.pages.has(page))) {
      return;
    }
    const generation = this.generation;
    this.pending.add(page);
    try {
      const result = await this.studio.api.runValues(this.workspaceId,
        { ...this.query(), limit: PAGE, offset: page * PAGE }, this.columnKeys());
      if (generation !== this.generation) {
        return;
      }
      this.total = result.total;
      this.loadedOnce = true;
      this.pages.set(page, result);
      this.queryError.hidden = true;
    } catch (err) {
      if (generation === this.generation) {
        // A query that does not parse: say where, keep the table as it was.
        this.queryError.textContent = errorMessage(err);
        this.queryError.hidden = false;
        this.total = 0;
        this.loadedOnce = true;
      }
    } finally {
      this.pending.delete(page);
    }
    this.render();
  }

  private async selectAll(): Promise<void> {
    if (this.brushedRows) {
      this.brushedRows.forEach(r => this.track(r, true));
      return;
    }
    const all = await this.studio.api.runValues(this.workspaceId,
      { ...this.query(), limit: ALL_LIMIT }, []);
    all.ids.forEach((_, i) => this.track(rowOf(all, i), true));
  }

  private track(row: Row, on: boolean): void {
    if (on) {
      this.selected.add(row.id);
      if (!isTerminal(String(row.get('attributes.status') ?? 'Completed'))) {
        this.active.add(row.id);
      }
    } else {
      this.selected.delete(row.id);
      this.active.delete(row.id);
    }
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
    const page = this.pages.get(Math.floor(i / PAGE));
    return page && i % PAGE < page.ids.length ? rowOf(page, i % PAGE) : null;
  }

  private rowCount(): number {
    return this.brushedRows ? this.brushedRows.length : this.total;
  }

  private render(): void {
    const total = this.rowCount();
    this.spacer.style.height = `${total * ROW_HEIGHT}px`;
    this.countLabel.textContent = this.brushedRows
      ? `${total} of ${this.total} runs (brushed)` : `${total} run${total === 1 ? '' : 's'}`;
    clear(this.spacer);
    if (total === 0 && this.loadedOnce && !this.brushedRows) {
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
        void this.fetchPage(Math.floor(i / PAGE));
        continue;
      }
      this.spacer.append(this.renderRow(row, i, template, columns));
    }
  }

  private renderRow(row: Row, i: number, template: string, columns: string[]): HTMLElement {
    const name = String(row.get('attributes.display_name') || row.id);
    const box = h('input', {
      type: 'checkbox', 'aria-label': `Select run ${name}`,
      onclick: (ev: Event) => ev.stopPropagation(),
      onchange: () => {
        this.track(row, box.checked);
        this.updateButtons();
      }
    });
    box.checked = this.selected.has(row.id);
    const parent = row.get('attributes.parent_run_id');
    return h('div', {
      className: `mlws-runs-row${this.selected.has(row.id) ? ' mlws-row-selected' : ''}`,
      role: 'row', tabindex: 0, 'data-run-id': row.id,
      style: `top: ${i * ROW_HEIGHT}px; grid-template-columns: ${template}`,
      onclick: () => this.studio.openRun(this.workspaceId, row.id),
      onkeydown: (ev: Event) => {
        if ((ev as KeyboardEvent).key === 'Enter') {
          this.studio.openRun(this.workspaceId, row.id);
        }
      },
      oncontextmenu: (ev: Event) => {
        ev.preventDefault();
        if (!this.selected.has(row.id)) {
          // Like a file manager: the menu acts on the row under the pointer.
          this.selected.clear();
          this.active.clear();
          this.track(row, true);
          this.updateButtons();
          this.render();
        }
        openRunsMenu(this.studio, this, ev as MouseEvent);
      }
    }, h('span', { className: 'mlws-runs-select' }, box), columns.map(key =>
      h('span', { className: 'mlws-cell', 'data-column': key },
        cell(key, row.get(key), key === 'attributes.display_name' ? parent : undefined))));
  }

  private updateButtons(): void {
    const n = this.selected.size;
    this.compareButton.disabled = n < 2;
    this.deleteButton.disabled = n === 0;
    this.cancelButton.disabled = this.active.size === 0;
    this.compareButton.textContent = `Compare${n ? ` (${n})` : ''}`;
    this.cancelButton.textContent = `Cancel runs${this.active.size ? ` (${this.active.size})`
      : ''}`;
  }

  // ---- analysis and brushing
  private analysisSource(): RunSetSource {
    return {
      keys: () => this.studio.api.runKeys(this.workspaceId, this.query()),
      values: async columns => {
        // The table's columns come along, so brushed rows can show them without a read.
        const wanted = [...new Set([...columns, ...this.columnKeys()])];
        const values = await this.studio.api.runValues(this.workspaceId,
          { ...this.query(), limit: ALL_LIMIT }, wanted);
        this.allValues = values;
        return values;
      },
      series: (ids, names, maxPoints) => this.studio.api.queryMetrics(this.workspaceId, ids,
        names, maxPoints),
      openRun: id => this.studio.openRun(this.workspaceId, id)
    };
  }

  private showAnalysis(): void {
    clear(this.analysisHost);
    if (!this.view.analysis) {
      this.sweep?.dispose();
      this.sweep = null;
      this.brushed(null);
      return;
    }
    if (!this.sweep) {
      this.sweep = new SweepView(this.analysisSource(), ids => this.brushed(ids));
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

  // ---- actions (RunsActions)
  selectedIds(): string[] {
    return [...this.selected];
  }

  activeSelected(): number {
    return this.active.size;
  }

  openSelected(): void {
    const [id] = this.selected;
    if (id) {
      this.studio.openRun(this.workspaceId, id);
    }
  }

  compareSelected(): void {
    this.studio.openCompare(this.workspaceId, [...this.selected]);
  }

  async cancelSelected(): Promise<void> {
    const ids = [...this.active];
    if (!ids.length || !(await confirmDialog('Cancel runs',
      `Cancel ${ids.length} running run(s)? Submitted scripts are stopped.`, 'Cancel runs'))) {
      return;
    }
    await Promise.all(ids.map(async id => {
      try {
        await this.studio.api.cancelRun(this.workspaceId, id);
        this.active.delete(id);
      } catch (err) {
        this.studio.notifyError(`Canceling run ${id} failed`, err);
      }
    }));
    this.updateButtons();
    this.reload(true);
  }

  async tagSelected(tags: Record<string, string>): Promise<void> {
    await Promise.all([...this.selected].map(id =>
      this.studio.api.updateRun(this.workspaceId, id, { tags })));
    this.reload(true);
  }

  async deleteSelected(): Promise<void> {
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
      this.active.delete(id);
    }
    this.updateButtons();
    this.reload(true);
    this.studio.dataChanged.emit();
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
          { ...this.query(), limit: ALL_LIMIT }, keys);
        rows = all.ids.map((_, i) => rowOf(all, i));
      } catch (err) {
        this.studio.notifyError('Exporting the runs failed', err);
        return;
      }
    }
    const lines = [csvRow(['run_id', ...keys]),
      ...rows.map(r => csvRow([r.id, ...keys.map(k => csvValue(k, r.get(k)))]))];
    saveBlob(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }),
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
