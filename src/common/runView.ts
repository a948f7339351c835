// The run view shared by the studio and the notebook widget: a header and the tabs, over a
// RunDataSource. Only the shown tab is loaded; changes reach it live, hidden tabs reload when
// shown again.
import { clear, emptyState, errorMessage, formatDuration, h, runDuration, statusBadge } from './dom';
import type { ChangeKind, RunDataSource } from './source';
import { ChildrenTab } from './tabs/children';
import { DetailsTab } from './tabs/details';
import { ExplanationsTab } from './tabs/explanations';
import { ImagesTab } from './tabs/images';
import { MetricsTab } from './tabs/metrics';
import { OutputsTab } from './tabs/outputs';
import { SnapshotTab } from './tabs/snapshot';
import type { RunTab } from './tabs/tab';
import type { Run } from './types';

export interface RunViewOptions {
  /** Tab shown first (its id), e.g. "metrics". */
  initialTab?: string;
  /** Called whenever the run record is (re)loaded, e.g. to retitle the host. */
  onRun?: (run: Run) => void;
}

export class RunView {
  readonly node: HTMLElement;
  private header = h('div', { className: 'mlws-run-header' });
  private tabBar = h('div', { className: 'mlws-tabbar', role: 'tablist' });
  private panel = h('div', { className: 'mlws-tabpanel', role: 'tabpanel', tabindex: 0 });
  private tabs: RunTab[];
  private active: RunTab;
  private loaded = new Set<string>();
  private run: Run | null = null;
  private unsubscribe: (() => void) | null = null;
  private busy: Promise<void> = Promise.resolve();

  constructor(private source: RunDataSource, private options: RunViewOptions = {}) {
    this.tabs = [new DetailsTab(source), new MetricsTab(source), new ImagesTab(source),
      new ChildrenTab(source), new OutputsTab(source), new SnapshotTab(source),
      new ExplanationsTab(source)];
    this.active = this.tabs.find(t => t.id === options.initialTab) ?? this.tabs[0];
    this.node = h('div', { className: 'mlws-run-view', 'data-run-id': source.runId },
      this.header, this.tabBar, this.panel);
    this.renderTabBar();
  }

  /** Load the run and the first tab, then follow changes. */
  async start(): Promise<void> {
    try {
      this.run = await this.source.getRun();
    } catch (err) {
      clear(this.panel);
      this.panel.append(emptyState(`Run ${this.source.runId} could not be loaded: ` +
        errorMessage(err)));
      return;
    }
    this.renderHeader();
    await this.show(this.active);
    this.unsubscribe = this.source.subscribe(what => {
      // Serialize updates: a slow one must not interleave with the next.
      this.busy = this.busy.then(() => this.changed(what)).catch(err => {
        console.warn('mlws: live update failed', err);
      });
    });
  }

  /** Re-read everything (the Refresh command). */
  async refresh(): Promise<void> {
    await this.changed(['run', 'metrics', 'artifacts', 'logs', 'children']);
  }

  selectTab(id: string): void {
    const tab = this.tabs.find(t => t.id === id);
    if (tab) {
      void this.show(tab);
    }
  }

  dispose(): void {
    this.unsubscribe?.();
    this.tabs.forEach(t => t.dispose());
  }

  private async changed(what: ChangeKind[]): Promise<void> {
    if (what.includes('run') || !this.run) {
      this.run = await this.source.getRun();
      this.renderHeader();
    }
    // Hidden tabs reload when next shown.
    for (const t of this.tabs) {
      if (t !== this.active) {
        this.loaded.delete(t.id);
      }
    }
    if (this.loaded.has(this.active.id)) {
      await this.active.update(this.run, what);
    }
  }

  private renderHeader(): void {
    if (!this.run) {
      return;
    }
    const run = this.run;
    this.options.onRun?.(run);
    clear(this.header);
    this.header.append(
      h('h2', { className: 'mlws-run-title' }, run.display_name || run.id),
      statusBadge(run.status),
      h('span', { className: 'mlws-muted' },
        `${run.experiment_name} · run ${run.number} · ${formatDuration(runDuration(run))}`));
  }

  private renderTabBar(): void {
    clear(this.tabBar);
    this.tabs.forEach((tab, index) => {
      const selected = tab === this.active;
      const button = h('button', {
        className: `mlws-tab${selected ? ' mlws-tab-active' : ''}`, role: 'tab', type: 'button',
        'aria-selected': String(selected), tabindex: selected ? 0 : -1, 'data-tab': tab.id,
        onclick: () => void this.show(tab),
        onkeydown: (ev: Event) => {
          const key = (ev as KeyboardEvent).key;
          const delta = key === 'ArrowRight' ? 1 : key === 'ArrowLeft' ? -1 : 0;
          if (delta) {
            const next = this.tabs[(index + delta + this.tabs.length) % this.tabs.length];
            void this.show(next).then(() => {
              (this.tabBar.querySelector(`[data-tab="${next.id}"]`) as HTMLElement)?.focus();
            });
          }
        }
      }, tab.label);
      this.tabBar.append(button);
    });
  }

  private async show(tab: RunTab): Promise<void> {
    this.active = tab;
    this.renderTabBar();
    clear(this.panel);
    this.panel.append(tab.node);
    this.panel.dataset.tab = tab.id;
    if (!this.run || this.loaded.has(tab.id)) {
      return;
    }
    this.loaded.add(tab.id);
    try {
      await tab.load(this.run);
    } catch (err) {
      this.loaded.delete(tab.id);
      clear(tab.node);
      tab.node.append(h('p', { className: 'mlws-error' }, errorMessage(err)));
    }
  }
}
