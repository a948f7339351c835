// The "ML Workspace" sidebar: pick/create/delete a workspace; experiments with their latest
// runs (status, duration), updating live; create, archive, delete experiments.
import { Widget } from '@lumino/widgets';
import { clear, emptyState, errorMessage, formatDuration, h, runDuration, statusBadge } from '../common/dom';
import { isTerminal, type Experiment, type Run, type Workspace } from '../common/types';
import { applyPermissions } from './access';
import { confirmDialog, formDialog } from './dialogs';
import { resourceSections } from './resources';
import type { Studio } from './studio';

const REFRESH_MS = 3000;
const RUNS_SHOWN = 10;

export async function createWorkspaceFlow(studio: Studio): Promise<void> {
  const values = await formDialog('Create workspace', [
    { name: 'name', label: 'Name', placeholder: 'my-workspace (3-33 letters, digits, _ or -)' },
    { name: 'subscription_id', label: 'Subscription', placeholder: 'local' },
    { name: 'resource_group', label: 'Resource group', placeholder: 'local' },
    { name: 'storage_url', label: 'Storage URL', placeholder: 'default: the server\'s storage' }
  ]);
  if (!values) {
    return;
  }
  try {
    const ws = await studio.api.createWorkspace({
      name: values.name, subscription_id: values.subscription_id || undefined,
      resource_group: values.resource_group || undefined,
      storage_url: values.storage_url || undefined
    });
    studio.workspaceId = ws.id;
    studio.dataChanged.emit();
  } catch (err) {
    studio.notifyError('Creating the workspace failed', err);
  }
}

export async function createExperimentFlow(studio: Studio): Promise<void> {
  const ws = studio.workspaceId;
  if (!ws) {
    studio.notifyError('Creating an experiment', new Error('select or create a workspace first'));
    return;
  }
  const values = await formDialog('Create experiment',
    [{ name: 'name', label: 'Name', placeholder: 'letters, digits, _ or -' }]);
  if (!values) {
    return;
  }
  try {
    await studio.api.createExperiment(ws, values.name);
    studio.dataChanged.emit();
  } catch (err) {
    studio.notifyError('Creating the experiment failed', err);
  }
}

export class StudioPanel extends Widget {
  private select = h('select', { className: 'mlws-input mlws-ws-select',
    'aria-label': 'Workspace' });
  private body = h('div', { className: 'mlws-panel-body' });
  private workspaces: Workspace[] = [];
  private expanded = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private refreshing = false;
  private refreshAgain = false;

  constructor(private studio: Studio) {
    super();
    this.addClass('mlws-panel');
    this.select.addEventListener('change', () => {
      this.studio.workspaceId = this.select.value || null;
    });
    const button = (text: string, label: string, onclick: () => void, cls = ''): HTMLElement =>
      h('button', { className: `mlws-button mlws-small ${cls}`, type: 'button', title: label,
        'aria-label': label, onclick }, text);
    this.node.append(
      h('div', { className: 'mlws-panel-header' }, h('h2', null, 'ML Workspace')),
      h('div', { className: 'mlws-toolbar' }, this.select,
        button('New', 'Create workspace', () => void createWorkspaceFlow(studio)),
        button('Delete', 'Delete workspace', () => void this.deleteWorkspace(), 'mlws-danger'),
        button('Refresh', 'Refresh', () => void this.refresh())),
      this.body);
    studio.workspaceChanged.connect(() => {
      this.expanded.clear();
      void this.refresh();
    });
    studio.dataChanged.connect(() => void this.refresh());
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

  async refresh(quiet = false): Promise<void> {
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
    }
  }

  private async load(): Promise<void> {
    this.workspaces = await this.studio.api.listWorkspaces();
    let current = this.studio.workspaceId;
    if (current && !this.workspaces.some(w => w.id === current)) {
      current = null;
    }
    if (!current && this.workspaces.length) {
      current = this.workspaces[0].id;
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
        'Create one with "New" above, or in a notebook: Workspace.create("my-ws"). ' +
        'Workspaces group experiments, runs and their files.'),
      h('button', { className: 'mlws-button mlws-primary', type: 'button',
        onclick: () => void createWorkspaceFlow(this.studio) }, 'Create workspace'));
      return;
    }
    const sections = resourceSections(this.studio, current, () => void this.refresh());
    const experiments = await this.studio.api.listExperiments(current);
    const runs = new Map<string, Run[]>();
    await Promise.all(experiments.filter(e => this.expanded.has(e.name)).map(async e => {
      const page = await this.studio.api.listRuns(current!, { experiment: e.name,
        limit: RUNS_SHOWN });
      runs.set(e.name, page.runs);
    }));
    const resources = await sections;
    await applyPermissions(this.studio, current, this.node);  // hides what the caller may not do
    this.renderExperiments(current, experiments, runs);
    this.body.append(...resources);
  }

  private renderExperiments(ws: string, experiments: Experiment[], runs: Map<string, Run[]>):
  void {
    clear(this.body);
    this.body.dataset.workspaceId = ws; // which workspace the list shows (tests wait on it)
    this.body.append(h('div', { className: 'mlws-section-head' }, h('h3', null, 'Experiments'),
      h('button', { className: 'mlws-button mlws-small', type: 'button',
        onclick: () => void createExperimentFlow(this.studio) }, 'New experiment')));
    if (!experiments.length) {
      this.body.append(emptyState('No experiments in this workspace.',
        'In a notebook: exp = Experiment(ws, "my-exp"); run = exp.start_logging(); ' +
        'run.log("loss", 0.5). It shows up here live.'));
      return;
    }
    const list = h('ul', { className: 'mlws-exp-list' });
    for (const e of experiments) {
      const open = this.expanded.has(e.name);
      const toggle = h('button', {
        className: 'mlws-exp-name', type: 'button', 'aria-expanded': String(open),
        onclick: () => {
          if (this.expanded.has(e.name)) {
            this.expanded.delete(e.name);
          } else {
            this.expanded.add(e.name);
          }
          void this.refresh();
        }
      }, `${open ? '▾' : '▸'} ${e.name}`);
      const item = h('li', { className: 'mlws-exp', 'data-experiment': e.name },
        h('div', { className: 'mlws-exp-row' }, toggle,
          h('span', { className: 'mlws-muted' }, `${e.run_count ?? 0} runs`),
          h('button', { className: 'mlws-button mlws-small', type: 'button',
            'aria-label': `Open runs table of ${e.name}`,
            onclick: () => this.studio.openRunsTable(ws, e.name) }, 'Table'),
          h('button', { className: 'mlws-button mlws-small', type: 'button',
            'aria-label': `Archive ${e.name}`,
            onclick: () => void this.archive(ws, e) }, 'Archive'),
          h('button', { className: 'mlws-button mlws-small mlws-danger', type: 'button',
            'aria-label': `Delete ${e.name}`,
            onclick: () => void this.deleteExperiment(ws, e) }, 'Delete')));
      if (open) {
        item.append(this.runList(ws, e, runs.get(e.name) ?? []));
      }
      list.append(item);
    }
    this.body.append(list);
  }

  private runList(ws: string, e: Experiment, runs: Run[]): HTMLElement {
    if (!runs.length) {
      return h('p', { className: 'mlws-muted mlws-indent' }, 'No runs yet.');
    }
    const list = h('ul', { className: 'mlws-run-list' }, runs.map(r =>
      h('li', null, h('button', {
        className: 'mlws-run-item', type: 'button', 'data-run-id': r.id,
        title: `Open run ${r.id}`, onclick: () => this.studio.openRun(ws, r.id)
      }, statusBadge(r.status), h('span', { className: 'mlws-run-name' }, r.display_name || r.id),
      h('span', { className: 'mlws-muted' }, isTerminal(r.status) || r.start_time
        ? formatDuration(runDuration(r)) : '')))));
    if ((e.run_count ?? 0) > runs.length) {
      list.append(h('li', null, h('button', {
        className: 'mlws-link-button', type: 'button',
        onclick: () => this.studio.openRunsTable(ws, e.name)
      }, `All ${e.run_count} runs…`)));
    }
    return list;
  }

  private async archive(ws: string, e: Experiment): Promise<void> {
    try {
      await this.studio.api.updateExperiment(ws, e.id, { archived: true });
      await this.refresh();
    } catch (err) {
      this.studio.notifyError('Archiving failed', err);
    }
  }

  private async deleteExperiment(ws: string, e: Experiment): Promise<void> {
    if (!(await confirmDialog('Delete experiment',
      `Delete experiment "${e.name}" with all its runs, metrics and files?`))) {
      return;
    }
    try {
      await this.studio.api.deleteExperiment(ws, e.id);
      await this.refresh();
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
      this.studio.workspaceId = null;
      await this.refresh();
    } catch (err) {
      this.studio.notifyError('Deleting the workspace failed', err);
    }
  }
}
