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
import { isTerminal, type Run } from './types';

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
  private ticker: ReturnType<typeof setInterval> | null = null;
  private cancelState: 'idle' | 'asking' | 'canceling' = 'idle';

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
    if (this.ticker) {
      clearInterval(this.ticker);
    }
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
    if (this.header.contains(document.activeElement) &&
        document.activeElement instanceof HTMLInputElement) {
      return; // a name being typed stays; the next change renders again
    }
    clear(this.header);
    const title = h('h2', { className: 'mlws-run-title' }, run.display_name || run.id);
    const duration = h('span', { className: 'mlws-run-duration' },
      formatDuration(runDuration(run)));
    this.header.append(title);
    if (this.source.updateRun) {
      this.header.append(h('button', {
        className: 'mlws-button mlws-small mlws-icon-button', type: 'button',
        title: 'Rename the run', 'aria-label': 'Rename run',
        onclick: () => this.rename(title)
      }, '\u270e'));
    }
    this.header.append(statusBadge(run.status),
      h('span', { className: 'mlws-muted' }, `${run.experiment_name} · run ${run.number} · `,
        duration));
    if (this.source.cancelRun && !isTerminal(run.status)) {
      this.header.append(this.cancelControl());
    }
    this.tickDuration(run, duration);
  }

  /** A running run's duration moves on every second; a finished one stays put. */
  private tickDuration(run: Run, node: HTMLElement): void {
    if (this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
    if (isTerminal(run.status) || !run.start_time) {
      return;
    }
    this.ticker = setInterval(() => {
      if (!node.isConnected) {
        return;
      }
      node.textContent = formatDuration(runDuration(run));
    }, 1000);
  }

  private rename(title: HTMLElement): void {
    const run = this.run;
    if (!run || !this.source.updateRun) {
      return;
    }
    const input = h('input', { className: 'mlws-input mlws-rename-input',
      'aria-label': 'Run name', value: run.display_name ?? '' });
    const finish = async (save: boolean): Promise<void> => {
      const name = input.value.trim();
      input.blur();
      if (save && name && name !== run.display_name) {
        try {
          this.run = await this.source.updateRun!({ display_name: name });
        } catch (err) {
          console.warn('mlws: renaming the run failed', err);
        }
      }
      this.renderHeader();
    };
    input.addEventListener('keydown', ev => {
      if (ev.key === 'Enter') {
        void finish(true);
      } else if (ev.key === 'Escape') {
        void finish(false);
      }
    });
    input.addEventListener('blur', () => void finish(true), { once: true });
    title.replaceWith(input);
    input.focus();
    input.select();
  }

  /** "Cancel run", then a confirmation in place (no host dialogs: the widget has none). The
   * state survives the header being drawn again by a live update. */
  private cancelControl(): HTMLElement {
    const host = h('span', { className: 'mlws-cancel' });
    const again = (state: 'idle' | 'asking' | 'canceling'): void => {
      this.cancelState = state;
      this.renderHeader();
    };
    if (this.cancelState === 'canceling') {
      host.append(h('span', { className: 'mlws-muted' }, 'Canceling…'));
    } else if (this.cancelState === 'asking') {
      host.append(h('span', null, 'Cancel this run? '),
        h('button', {
          className: 'mlws-button mlws-small mlws-danger', type: 'button',
          onclick: async () => {
            again('canceling');
            try {
              this.run = await this.source.cancelRun!();
            } catch (err) {
              this.cancelState = 'idle';
              host.replaceChildren(h('span', { className: 'mlws-error' },
                `Cancel failed: ${errorMessage(err)}`));
              return;
            }
            this.cancelState = 'idle';
            await this.changed(['run', 'children']);
          }
        }, 'Yes, cancel'),
        h('button', { className: 'mlws-button mlws-small', type: 'button',
          onclick: () => again('idle') }, 'No'));
    } else {
      host.append(h('button', { className: 'mlws-button mlws-small mlws-danger',
        type: 'button', onclick: () => again('asking') }, 'Cancel run'));
    }
    return host;
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
