// Child Runs: a table; a click opens the child (in the studio) when the host can navigate.
import { clear, emptyState, formatDuration, formatTime, h, runDuration, statusBadge } from '../dom';
import type { ChangeKind, RunDataSource } from '../source';
import type { Run } from '../types';
import type { RunTab } from './tab';

export class ChildrenTab implements RunTab {
  readonly id = 'children';
  readonly label = 'Child Runs';
  readonly node = h('div', { className: 'mlws-tab-children' });

  constructor(private source: RunDataSource) {}

  async load(_run: Run): Promise<void> {
    const children = await this.source.getChildren();
    clear(this.node);
    if (!children.length) {
      this.node.append(emptyState('This run has no child runs.',
        'Create them with run.child_run() or run.create_children(n).'));
      return;
    }
    const rows = children.map(c => {
      const name = c.display_name || c.id;
      const open = this.source.openRun
        ? h('a', {
          href: '#', className: 'mlws-link', 'data-run-id': c.id,
          onclick: (ev: Event) => {
            ev.preventDefault();
            this.source.openRun?.(c.id);
          }
        }, name)
        : h('span', null, name);
      return h('tr', { 'data-run-id': c.id }, h('td', null, statusBadge(c.status)),
        h('td', null, open), h('td', null, String(c.number)),
        h('td', null, formatTime(c.start_time)), h('td', null, formatDuration(runDuration(c))));
    });
    this.node.append(h('table', { className: 'mlws-table' },
      h('thead', null, h('tr', null, ['Status', 'Name', 'Number', 'Started', 'Duration'].map(
        c => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows)));
  }

  async update(run: Run, what: ChangeKind[]): Promise<void> {
    if (what.includes('children') || what.includes('run')) {
      await this.load(run);
    }
  }

  dispose(): void {
    clear(this.node);
  }
}
