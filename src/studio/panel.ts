// The "ML Workspace" sidebar: pick/create/delete a workspace (first the one the notebook
// folder's config.json names); below it the workspace's experiments (experimentList.ts) and
// resources (resources.ts), refreshed every few seconds without losing what the user types.
import { addIcon, deleteIcon, refreshIcon, type LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import { clear, emptyState, errorMessage, h } from '../common/dom';
import type { Workspace } from '../common/types';
import { applyPermissions } from './access';
import { confirmDialog, formFlow } from './dialogs';
import { ExperimentList } from './experimentList';
import { resourceSections } from './resources';
import type { Studio } from './studio';

export { createExperimentFlow } from './experimentList';

const REFRESH_MS = 3000;

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

export class StudioPanel extends Widget {
  private select = h('select', { className: 'mlws-input mlws-ws-select',
    'aria-label': 'Workspace' });
  private body = h('div', { className: 'mlws-panel-body' });
  private workspaces: Workspace[] = [];
  private experiments: ExperimentList;
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
    this.experiments = new ExperimentList(studio, () => this.refresh(false, true));
    studio.workspaceChanged.connect(() => {
      this.experiments.expanded.clear();
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
    const listing = await this.experiments.load(current);
    const resources = await sections;
    if (!this.forceRender && this.body.dataset.workspaceId === current && this.editing()) {
      return;
    }
    this.forceRender = false;
    await applyPermissions(this.studio, current, this.node);  // hides what the caller may not do
    this.experiments.render(this.body, current, listing);
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

