// The sidebar's experiments of one workspace: each with its latest runs (status, duration)
// when expanded, the runs table, and a menu to archive or delete it; archived experiments
// listed on request and restored.
import { Menu } from '@lumino/widgets';
import { clear, emptyState, formatDuration, h, runDuration } from '../common/dom';
import { isTerminal, type Experiment, type Run } from '../common/types';
import { needs } from './access';
import { confirmDialog, formFlow } from './dialogs';
import type { Studio } from './studio';

const EXPERIMENT_COMMANDS = ['mlws:experiment-open-table', 'mlws:experiment-archive',
  'mlws:experiment-delete'];
const RUNS_SHOWN = 10;

export async function createExperimentFlow(studio: Studio): Promise<void> {
  const ws = studio.workspaceId;
  if (!ws) {
    studio.notifyError('Creating an experiment', new Error('select or create a workspace first'));
    return;
  }
  const created = await formFlow('Create experiment',
    [{ name: 'name', label: 'Name', placeholder: 'letters, digits, _ or -' }], 'Create',
    values => studio.api.createExperiment(ws, values.name));
  if (created) {
    studio.dataChanged.emit();
  }
}

/** A compact status: the coloured dot, the status in its tooltip. */
function statusDot(status: string): HTMLElement {
  return h('span', { className: `mlws-status mlws-status-${status} mlws-status-compact`,
    title: status, role: 'img', 'aria-label': status },
  h('span', { className: 'mlws-status-dot', 'aria-hidden': 'true' }));
}

function runsLabel(e: Experiment): string {
  const top = (e.run_count ?? 0) - (e.child_run_count ?? 0);
  return `${top} run${top === 1 ? '' : 's'}`;
}

/** What the list shows of one workspace, read by `ExperimentList.load`. */
export interface ExperimentListing {
  experiments: Experiment[];
  /** The latest runs of each expanded experiment. */
  runs: Map<string, Run[]>;
  archived: Experiment[];
}

export class ExperimentList {
  /** Experiments whose runs are shown (by name); cleared when the workspace changes. */
  readonly expanded = new Set<string>();
  private showArchived = false;

  /** `refresh`: reload the panel, re-rendering even over typed text (a user action). */
  constructor(private studio: Studio, private refresh: () => Promise<void>) {
    this.addExperimentCommands();
  }

  async load(ws: string): Promise<ExperimentListing> {
    const [experiments, archived] = await Promise.all([
      this.studio.api.listExperiments(ws),
      this.showArchived ? this.studio.api.listExperiments(ws, 'ArchivedOnly')
        : Promise.resolve([])]);
    const runs = new Map<string, Run[]>();
    await Promise.all(experiments.filter(e => this.expanded.has(e.name)).map(async e => {
      const page = await this.studio.api.listRuns(ws, { experiment: e.name,
        limit: RUNS_SHOWN });
      runs.set(e.name, page.runs);
    }));
    return { experiments, runs, archived };
  }

  /** The list of `listing` into `body` (emptied first). */
  render(body: HTMLElement, ws: string, listing: ExperimentListing): void {
    const { experiments, runs, archived } = listing;
    clear(body);
    body.dataset.workspaceId = ws; // which workspace the list shows (tests wait on it)
    body.append(h('div', { className: 'mlws-section-head' }, h('h3', null, 'Experiments'),
      h('button', { className: `mlws-button mlws-small ${needs('experiments_write')}`,
        type: 'button', onclick: () => void createExperimentFlow(this.studio) },
      'New experiment')));
    if (!experiments.length) {
      body.append(emptyState('No experiments in this workspace.',
        'In a notebook: exp = Experiment(ws, "my-exp"); run = exp.start_logging(); ' +
        'run.log("loss", 0.5). It shows up here live.'));
    }
    const list = h('ul', { className: 'mlws-exp-list' });
    for (const e of experiments) {
      const open = this.expanded.has(e.name);
      const toggle = h('button', {
        className: 'mlws-exp-name', type: 'button', 'aria-expanded': String(open),
        title: e.name,
        onclick: () => {
          if (this.expanded.has(e.name)) {
            this.expanded.delete(e.name);
          } else {
            this.expanded.add(e.name);
          }
          void this.refresh();
        }
      }, `${open ? '▾' : '▸'} ${e.name}`);
      const children = e.child_run_count ?? 0;
      const item = h('li', { className: 'mlws-exp', 'data-experiment': e.name },
        h('div', { className: 'mlws-exp-row' }, toggle,
          h('span', { className: 'mlws-muted mlws-exp-count', title: children
            ? `${runsLabel(e)} and ${children} child run${children === 1 ? '' : 's'}`
            : runsLabel(e) }, runsLabel(e)),
          h('button', { className: 'mlws-button mlws-small', type: 'button',
            'aria-label': `Open runs table of ${e.name}`, title: 'Open the runs table',
            onclick: () => this.studio.openRunsTable(ws, e.name) }, 'Table'),
          h('button', { className: 'mlws-button mlws-small mlws-icon-button', type: 'button',
            'aria-label': `More actions for ${e.name}`, title: 'More actions',
            onclick: (ev: Event) => this.experimentMenu(ws, e, ev as MouseEvent) }, '\u22ef')));
      if (open) {
        item.append(this.runList(ws, e, runs.get(e.name) ?? []));
      }
      list.append(item);
    }
    body.append(list);
    const archivedBox = h('input', { type: 'checkbox', 'aria-label': 'Show archived experiments',
      onchange: () => {
        this.showArchived = archivedBox.checked;
        void this.refresh();
      } });
    archivedBox.checked = this.showArchived;
    body.append(h('label', { className: 'mlws-muted mlws-archived-toggle' }, archivedBox,
      ' Show archived experiments'));
    if (this.showArchived) {
      body.append(this.archivedList(ws, archived));
    }
  }

  private archivedList(ws: string, archived: Experiment[]): HTMLElement {
    if (!archived.length) {
      return h('p', { className: 'mlws-muted mlws-indent' }, 'No archived experiments.');
    }
    return h('ul', { className: 'mlws-exp-list' }, archived.map(e =>
      h('li', { className: 'mlws-exp mlws-exp-archived', 'data-experiment': e.name },
        h('div', { className: 'mlws-exp-row' },
          h('span', { className: 'mlws-exp-name mlws-muted', title: e.name }, e.name),
          h('button', { className: 'mlws-button mlws-small', type: 'button',
            'aria-label': `Restore ${e.name}`, onclick: () => void this.restore(ws, e) },
          'Restore'),
          h('button', { className: 'mlws-button mlws-small mlws-danger', type: 'button',
            'aria-label': `Delete ${e.name}`, onclick: () => void this.deleteExperiment(ws, e) },
          'Delete')))));
  }

  private experimentMenu(ws: string, e: Experiment, ev: MouseEvent): void {
    const menu = new Menu({ commands: this.studio.app.commands });
    const args = { workspaceId: ws, experiment: e.name, experimentId: e.id };
    for (const command of EXPERIMENT_COMMANDS) {
      menu.addItem({ command, args });
    }
    menu.open(ev.clientX, ev.clientY);
  }

  /** The experiment menu's commands (registered once; the menu passes the experiment). */
  private addExperimentCommands(): void {
    const commands = this.studio.app.commands;
    const target = (args: Record<string, unknown>): [string, Experiment] => [
      String(args.workspaceId),
      { name: String(args.experiment), id: String(args.experimentId) } as Experiment];
    const actions: Record<string, [string, (ws: string, e: Experiment) => void]> = {
      'mlws:experiment-open-table': ['Open runs table',
        (ws, e) => this.studio.openRunsTable(ws, e.name)],
      'mlws:experiment-archive': ['Archive…', (ws, e) => void this.archive(ws, e)],
      'mlws:experiment-delete': ['Delete…', (ws, e) => void this.deleteExperiment(ws, e)]
    };
    for (const [id, [label, run]] of Object.entries(actions)) {
      if (!commands.hasCommand(id)) {
        commands.addCommand(id, { label, execute: args => run(...target(args)) });
      }
    }
  }

  private runList(ws: string, e: Experiment, runs: Run[]): HTMLElement {
    if (!runs.length) {
      return h('p', { className: 'mlws-muted mlws-indent' }, 'No runs yet.');
    }
    const list = h('ul', { className: 'mlws-run-list' }, runs.map(r =>
      h('li', null, h('button', {
        className: 'mlws-run-item', type: 'button', 'data-run-id': r.id,
        title: `${r.display_name || r.id} (${r.status})`,
        onclick: () => this.studio.openRun(ws, r.id)
      }, statusDot(r.status), h('span', { className: 'mlws-run-name' }, r.display_name || r.id),
      h('span', { className: 'mlws-muted mlws-run-duration' }, isTerminal(r.status) || r.start_time
        ? formatDuration(runDuration(r)) : '')))));
    const top = (e.run_count ?? 0) - (e.child_run_count ?? 0);
    if (top > runs.length) {
      list.append(h('li', null, h('button', {
        className: 'mlws-link-button', type: 'button',
        onclick: () => this.studio.openRunsTable(ws, e.name)
      }, `All ${top} runs…`)));
    }
    return list;
  }

  private async archive(ws: string, e: Experiment): Promise<void> {
    if (!(await confirmDialog('Archive experiment',
      `Archive experiment "${e.name}"? It leaves the list (its runs stay); "Show archived ` +
      'experiments" lists it again and restores it.', 'Archive'))) {
      return;
    }
    try {
      await this.studio.api.updateExperiment(ws, e.id, { archived: true });
      await this.refresh();
    } catch (err) {
      this.studio.notifyError('Archiving failed', err);
    }
  }

  private async restore(ws: string, e: Experiment): Promise<void> {
    try {
      await this.studio.api.updateExperiment(ws, e.id, { archived: false });
      await this.refresh();
    } catch (err) {
      this.studio.notifyError('Restoring failed', err);
    }
  }

  private async deleteExperiment(ws: string, e: Experiment): Promise<void> {
    if (!(await confirmDialog('Delete experiment',
      `Delete experiment "${e.name}" with all its runs, metrics and files?`))) {
      return;
    }
    try {
      await this.studio.api.deleteExperiment(ws, e.id);
      this.studio.closeViews(ws, e.name);
      await this.refresh();
    } catch (err) {
      this.studio.notifyError('Deleting the experiment failed', err);
    }
  }
}
