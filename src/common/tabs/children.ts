// Child Runs: a sweep's trials. The analysis of them (parallel coordinates, scatter, parameter
// importance, charts of their series) above a table of every trial with the parameters and
// metrics that vary; brushing in the analysis narrows the table, a header sorts it, a name
// opens the trial. Hosts without many-run reads get the plain list of children.
import { SweepView } from '../analysis/sweepView';
import { columnLabel } from '../analysis/dimensions';
import { clear, emptyState, formatDuration, formatValue, h, runDuration, statusBadge } from '../dom';
import type { ChangeKind, RunDataSource } from '../source';
import type { Run, RunValues } from '../types';
import type { RunTab } from './tab';

const ROWS_SHOWN = 500;

export class ChildrenTab implements RunTab {
  readonly id = 'children';
  readonly label = 'Child Runs';
  readonly node = h('div', { className: 'mlws-tab-children' });
  private sweep: SweepView | null = null;
  private table = h('div', { className: 'mlws-trials' });
  private values: RunValues | null = null;
  private columns: string[] = [];
  private brushed: Set<string> | null = null;
  private sortKey = 'attributes.number';
  private descending = false;
  private childCount = -1;

  constructor(private source: RunDataSource) {}

  async load(_run: Run): Promise<void> {
    const children = await this.source.getChildren();
    this.childCount = children.length;
    clear(this.node);
    if (!children.length) {
      this.node.append(emptyState('This run has no child runs.',
        'Create them with run.child_run() or run.create_children(n).'));
      return;
    }
    if (!this.source.childRuns) {
      this.node.append(this.plainList(children));
      return;
    }
    this.sweep?.dispose();
    const set = this.source.childRuns();
    this.sweep = new SweepView(set, ids => {
      this.brushed = ids;
      this.renderTable();
    });
    this.sweep.onData = (values, inputs, outputs) => {
      this.values = values;
      this.columns = [...inputs, ...outputs];
      this.renderTable();
    };
    this.node.append(h('section', { className: 'mlws-section' }, h('h3', null, 'Trials'),
      this.sweep.node), this.table);
    await this.sweep.load();
  }

  async update(run: Run, what: ChangeKind[]): Promise<void> {
    if (what.includes('children')) {
      const children = await this.source.getChildren();
      if (children.length !== this.childCount || !this.sweep) {
        await this.load(run);
      } else {
        await this.sweep.load(); // statuses and metrics of running trials move on
      }
    }
  }

  dispose(): void {
    this.sweep?.dispose();
    clear(this.node);
  }

  private open(runId: string, name: string): HTMLElement {
    return this.source.openRun
      ? h('a', { href: '#', className: 'mlws-link', 'data-run-id': runId,
        onclick: (ev: Event) => {
          ev.preventDefault();
          this.source.openRun?.(runId);
        } }, name)
      : h('span', null, name);
  }

  private renderTable(): void {
    clear(this.table);
    const v = this.values;
    if (!v) {
      return;
    }
    const col = (key: string): unknown[] => v.columns[key] ?? [];
    let rows = v.ids.map((_, i) => i);
    if (this.brushed) {
      rows = rows.filter(i => this.brushed!.has(v.ids[i]));
    }
    const key = col(this.sortKey);
    const sign = this.descending ? -1 : 1;
    rows.sort((a, b) => {
      const x = key[a];
      const y = key[b];
      if (x === null || x === undefined) {
        return 1;
      }
      if (y === null || y === undefined) {
        return -1;
      }
      return (typeof x === 'number' && typeof y === 'number' ? x - y
        : String(x).localeCompare(String(y), undefined, { numeric: true })) * sign;
    });
    const shown = rows.slice(0, ROWS_SHOWN);
    const header = (label: string, sortKey: string): HTMLElement => {
      const sorted = sortKey === this.sortKey;
      return h('th', { scope: 'col', 'aria-sort': sorted ? (this.descending ? 'descending'
        : 'ascending') : 'none' }, h('button', { className: 'mlws-runs-sort', type: 'button',
        onclick: () => {
          this.descending = sorted ? !this.descending : false;
          this.sortKey = sortKey;
          this.renderTable();
        } }, label + (sorted ? (this.descending ? ' ▼' : ' ▲') : '')));
    };
    const durations = col('attributes.duration');
    const status = col('attributes.status');
    const names = col('attributes.display_name');
    const numbers = col('attributes.number');
    this.table.append(
      h('p', { className: 'mlws-muted' }, `${rows.length} of ${v.ids.length} trial` +
        `${v.ids.length === 1 ? '' : 's'}` + (this.brushed ? ' (brushed)' : '') +
        (rows.length > ROWS_SHOWN ? `; the first ${ROWS_SHOWN} shown` : '')),
      h('div', { className: 'mlws-table-scroll mlws-trials-scroll' },
        h('table', { className: 'mlws-table mlws-trials-table' },
          h('thead', null, h('tr', null, header('Status', 'attributes.status'),
            header('Name', 'attributes.display_name'), header('#', 'attributes.number'),
            header('Duration', 'attributes.duration'),
            this.columns.map(k => header(columnLabel(k), k)))),
          h('tbody', null, shown.map(i => h('tr', { 'data-run-id': v.ids[i] },
            h('td', null, statusBadge(String(status[i] ?? ''))),
            h('td', null, this.open(v.ids[i], String(names[i] || v.ids[i]))),
            h('td', null, String(numbers[i] ?? '')),
            h('td', null, formatDuration(durations[i] as number | null)),
            this.columns.map(k => h('td', null, formatValue(col(k)[i])))))))));
  }

  /** Without many-run reads (an older server): the children as a list. */
  private plainList(children: Run[]): HTMLElement {
    const rows = children.map(c => h('tr', { 'data-run-id': c.id },
      h('td', null, statusBadge(c.status)), h('td', null, this.open(c.id, c.display_name || c.id)),
      h('td', null, String(c.number)), h('td', null, formatDuration(runDuration(c)))));
    return h('table', { className: 'mlws-table' },
      h('thead', null, h('tr', null, ['Status', 'Name', 'Number', 'Duration'].map(
        c => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows));
  }
}
