// The "ML Workspace" sidebar: pick/create/delete a workspace (first the one the notebook
// folder's config.json names); experiments with their latest runs (status, duration), updating
// live; create, archive (and restore), delete experiments.
import { addIcon, deleteIcon, refreshIcon, type LabIcon } from '@jupyterlab/ui-components';
import { Menu, Widget } from '@lumino/widgets';
import { clear, emptyState, errorMessage, formatDuration, h, runDuration } from '../common/dom';
import { isTerminal, type Experiment, type Run, type Workspace } from '../common/types';
import { applyPermissions } from './access';
import { confirmDialog, formFlow } from './dialogs';
import { resourceSections } from './resources';
import type { Studio } from './studio';

const REFRESH_MS = 3000;
const EXPERIMENT_COMMANDS = ['mlws:experiment-open-table', 'mlws:experiment-archive',
  'mlws:experiment-delete'];
const RUNS_SHOWN = 10;

export async function createWorkspaceFlow(studio: Studio): Promise<void> {
  const ws = await formFlow('Create workspace', [
    { name: 'name', label: 'Name', placeholder: 'my-workspace (3-33 letters, digits, _ or -)' },
    { name: 'subscription_id', label: 'Subscription', placeholder: 'local' },
    { name: 'resource_group', label: 'Resource group', placeholder: 'local' },
    { name: 'storage_url', label: 'Storage URL', placeholder: 'default: the server\'s storage' }
  ], 'Create', values => studio.api.createWorkspace({
    name: values.name, subscription_id: values.subscription_id || undefined,
    resource_group: values.resource_group || undefined,
    storage_url: values.storage_url || undefined
  }));
  if (ws) {
    studio.workspaceId = ws.id;
    studio.dataChanged.emit();
  }
}

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

export class StudioPanel extends Widget {
  private select = h('select', { className: 'mlws-input mlws-ws-select',
    'aria-label': 'Workspace' });
  private body = h('div', { className: 'mlws-panel-body' });
  private workspaces: Workspace[] = [];
  private expanded = new Set<string>();
  private showArchived = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private forceRender = false;
  private refreshing = false;
  private refreshAgain = false;
  private askedConfig = false;

  constructor(private studio: Studio) {
    super();
    this.addClass('mlws-panel');
    this.select.addEventListener('change', () => {
      this.studio.workspaceId = this.select.value || null;
    });
    const button = (icon: LabIcon, label: string, onclick: () => void, cls = ''):
    HTMLElement => h('button', { className: `mlws-button mlws-small mlws-icon-button ${cls}`,
      type: 'button', title: label, 'aria-label': label, onclick },
    icon.element({ tag: 'span', className: 'mlws-icon' }));
    this.node.append(
      h('div', { className: 'mlws-panel-header' }, h('h2', null, 'ML Workspace')),
      h('div', { className: 'mlws-toolbar mlws-panel-toolbar' }, this.select,
        button(addIcon, 'Create workspace', () => void createWorkspaceFlow(studio)),
        button(deleteIcon, 'Delete workspace', () => void this.deleteWorkspace(), 'mlws-danger'),
        button(refreshIcon, 'Refresh', () => void this.refresh(false, true))),
      this.body);
    studio.workspaceChanged.connect(() => {
      this.expanded.clear();
      void this.refresh();
    });
    studio.dataChanged.connect(() => void this.refresh());
    this.addExperimentCommands();
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  protected onAfterAttach(): void {
    void this.refresh();
    this.timer = setInterval(() => {
      if (this.isVisible && !document.hidden) {
        void this.refresh(true);
      }
    }, REFRESH_MS);
  }

  protected onBeforeDetach(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
  }

  /**
   * Reload and re-render the panel. Unless `force` (the user asked: the Refresh button, a form
   * that was just submitted), a re-render that would drop what the user is typing in the
   * panel (an access form) waits for the next refresh.
   */
  async refresh(quiet = false, force = false): Promise<void> {
    if (force) {
      this.forceRender = true;
    }
    if (this.refreshing) {
      // A request during a load (e.g. the workspace was switched) must not be dropped: the
      // running load may show the old selection, so load once more when it ends.
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        try {
          await this.load();
        } catch (err) {
          if (!quiet) {
            clear(this.body);
            this.body.append(emptyState(
              `The workspace service is not reachable: ${errorMessage(err)}`,
              'Is the jupyter_mlws server extension enabled? (jupyter server extension list)'));
          }
        }
      } while (this.refreshAgain);
    } finally {
      this.refreshing = false;
      if (quiet) {
        this.countQuietRefresh();
      }
    }
  }

  /** No workspace chosen yet in this browser: the one the file browser's folder's
   * config.json names (as Workspace.from_config() would find it), else the first. */
  private async initialWorkspace(): Promise<string | null> {
    await this.studio.routesKnown;
    if (!this.askedConfig && this.studio.routes.has('/workspace-config')) {
      this.askedConfig = true;
      try {
        const configured = await this.studio.api.configuredWorkspace(this.studio.browserFolder());
        if (configured && this.workspaces.some(w => w.id === configured.id)) {
          return configured.id;
        }
      } catch {
        // No config to go by: the first workspace below.
      }
    }
    return this.workspaces[0]?.id ?? null;
  }

  private async load(): Promise<void> {
    this.workspaces = await this.studio.api.listWorkspaces();
    let current = this.studio.workspaceId;
    if (current && !this.workspaces.some(w => w.id === current)) {
      current = null;
    }
    if (!current && this.workspaces.length) {
      current = await this.initialWorkspace();
    }
    clear(this.select);
    this.select.append(...this.workspaces.map(w => h('option', { value: w.id },
      w.friendly_name || w.name)));
    this.select.disabled = !this.workspaces.length;
    if (current !== this.studio.workspaceId) {
      // Emits workspaceChanged, which refreshes again with the new selection.
      this.studio.workspaceId = current;
    }
    if (current) {
      this.select.value = current;
    }
    if (!current) {
      clear(this.body);
      this.body.append(emptyState('No workspace yet.',
        'Create one with "+" above, or in a notebook: Workspace.create("my-ws"). ' +
        'Workspaces group experiments, runs and their files.'),
      h('button', { className: 'mlws-button mlws-primary', type: 'button',
        onclick: () => void createWorkspaceFlow(this.studio) }, 'Create workspace'));
      return;
    }
    const sections = resourceSections(this.studio, current,
      () => void this.refresh(false, true));
    const [experiments, archived] = await Promise.all([
      this.studio.api.listExperiments(current),
      this.showArchived ? this.studio.api.listExperiments(current, 'ArchivedOnly')
        : Promise.resolve([])]);
    const runs = new Map<string, Run[]>();
    await Promise.all(experiments.filter(e => this.expanded.has(e.name)).map(async e => {
      const page = await this.studio.api.listRuns(current!, { experiment: e.name,
        limit: RUNS_SHOWN });
      runs.set(e.name, page.runs);
    }));
    const resources = await sections;
    if (!this.forceRender && this.body.dataset.workspaceId === current && this.editing()) {
      return;
    }
    this.forceRender = false;
    await applyPermissions(this.studio, current, this.node);  // hides what the caller may not do
    this.renderExperiments(current, experiments, runs, archived);
    this.body.append(...resources);
  }

  /** A form control of the panel that has focus or holds typed text. */
  private editing(): boolean {
    const active = document.activeElement;
    const entry = 'input[type="text"], input:not([type]), textarea, select';
    if (active && this.body.contains(active) && active.matches(entry)) {
      return true;
    }
    const typed = this.body.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>(
      'input[type="text"], input:not([type]), textarea');
    return [...typed].some(e => e.value !== e.defaultValue);
  }

  /** Periodic refreshes done or skipped, for tests that wait for one to have passed. */
  private countQuietRefresh(): void {
    this.node.dataset.quietRefreshes = String(Number(this.node.dataset.quietRefreshes ?? 0) + 1);
  }

  private renderExperiments(ws: string, experiments: Experiment[], runs: Map<string, Run[]>,
    archived: Experiment[]): void {
    clear(this.body);
    this.body.dataset.workspaceId = ws; // which workspace the list shows (tests wait on it)
    this.body.append(h('div', { className: 'mlws-section-head' }, h('h3', null, 'Experiments'),
      h('button', { className: 'mlws-button mlws-small', type: 'button',
        onclick: () => void createExperimentFlow(this.studio) }, 'New experiment')));
    if (!experiments.length) {
      this.body.append(emptyState('No experiments in this workspace.',
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
          void this.refresh(false, true);
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
    this.body.append(list);
    const archivedBox = h('input', { type: 'checkbox', 'aria-label': 'Show archived experiments',
      onchange: () => {
        this.showArchived = archivedBox.checked;
        void this.refresh(false, true);
      } });
    archivedBox.checked = this.showArchived;
    this.body.append(h('label', { className: 'mlws-muted mlws-archived-toggle' }, archivedBox,
      ' Show archived experiments'));
    if (this.showArchived) {
      this.body.append(this.archivedList(ws, archived));
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
      await this.refresh(false, true);
    } catch (err) {
      this.studio.notifyError('Archiving failed', err);
    }
  }

  private async restore(ws: string, e: Experiment): Promise<void> {
    try {
      await this.studio.api.updateExperiment(ws, e.id, { archived: false });
      await this.refresh(false, true);
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
      await this.refresh(false, true);
    } catch (err) {
      this.studio.notifyError('Deleting the experiment failed', err);
    }
  }

  private async deleteWorkspace(): Promise<void> {
    const ws = this.workspaces.find(w => w.id === this.studio.workspaceId);
    if (!ws) {
      return;
    }
    if (!(await confirmDialog('Delete workspace',
      `Delete workspace "${ws.name}" with all its experiments, runs and files?`))) {
      return;
    }
    try {
      await this.studio.api.deleteWorkspace(ws.id);
      this.studio.closeViews(ws.id);
      this.studio.workspaceId = null;
      await this.refresh(false, true);
    } catch (err) {
      this.studio.notifyError('Deleting the workspace failed', err);
    }
  }
}

