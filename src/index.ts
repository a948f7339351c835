// The jupyter_mlws JupyterLab extension: the "ML Workspace" sidebar, run/runs/compare views,
// palette commands, a launcher card, and opening a run from ?mlws-run=... or mlws:// links.
import {
  ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, InputDialog } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { studioIcon } from './studio/icons';
import { createExperimentFlow, createWorkspaceFlow, StudioPanel } from './studio/panel';
import { RunViewWidget } from './studio/runWidget';
import { RunsTableWidget } from './studio/runsTable';
import { Studio } from './studio/studio';
import { selectedPythonFile, submitScriptFlow } from './studio/submitDialog';
import { registerDatasetFlow, selectedPaths } from './studio/data/registerDialog';
import { DATASETS_ROUTE } from './studio/data/section';

const CATEGORY = 'ML Workspace';

export const CommandIds = {
  openPanel: 'mlws:open-panel',
  openRun: 'mlws:open-run',
  refresh: 'mlws:refresh',
  createWorkspace: 'mlws:create-workspace',
  createExperiment: 'mlws:create-experiment',
  submitScript: 'mlws:submit-script-run',
  openModels: 'mlws:open-models',
  openEndpoints: 'mlws:open-endpoints',
  registerDataset: 'mlws:register-dataset'
};

const RUN_LINK = /^mlws:\/\/runs\/([^/]+)\/([^/?#]+)/;

/** Open the run named in the page URL (Run.get_portal_url()), then drop the parameters. */
function openFromUrl(studio: Studio): void {
  const params = new URLSearchParams(window.location.search);
  const runId = params.get('mlws-run');
  const workspaceId = params.get('mlws-workspace');
  if (!runId || !workspaceId) {
    return;
  }
  studio.workspaceId = workspaceId;
  studio.openRun(workspaceId, runId);
  params.delete('mlws-run');
  params.delete('mlws-workspace');
  const query = params.toString();
  window.history.replaceState(null, '',
    window.location.pathname + (query ? `?${query}` : '') + window.location.hash);
}

/** mlws://runs/<ws>/<id> links in notebook outputs (and anywhere else) open the run view. */
function handleRunLinks(studio: Studio): void {
  document.addEventListener('click', ev => {
    const target = ev.target as HTMLElement | null;
    const anchor = target?.closest?.('a') as HTMLAnchorElement | null;
    const href = anchor?.getAttribute('href') ?? '';
    const match = RUN_LINK.exec(href);
    if (match) {
      ev.preventDefault();
      ev.stopPropagation();
      studio.openRun(decodeURIComponent(match[1]), decodeURIComponent(match[2]));
    }
  }, true);
}

/** Read which routes the server has: the WebSocket live channel (older servers: polling),
 * compute, environments and script runs (older servers: those sections and menus stay hidden). */
async function detectRoutes(studio: Studio): Promise<void> {
  try {
    const response = await studio.api.fetch('openapi.json');
    const spec = await response.json();
    studio.routes = new Set(Object.keys(spec?.paths ?? {}));
  } catch {
    studio.routes = new Set();
  }
  studio.useWebSocket = studio.routes.has('/live');
  studio.dataChanged.emit();
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mlws:studio',
  description: 'ML workspace studio: workspaces, experiments, runs, metrics and artifacts.',
  autoStart: true,
  optional: [ICommandPalette, ILauncher, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd, palette: ICommandPalette | null, launcher: ILauncher | null,
    restorer: ILayoutRestorer | null
  ) => {
    const studio = new Studio(app);
    const panel = new StudioPanel(studio);
    panel.id = 'mlws-panel';
    panel.title.icon = studioIcon;
    panel.title.caption = 'ML Workspace';
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, 'mlws-panel');

    app.commands.addCommand(CommandIds.openPanel, {
      label: 'ML Workspace', caption: 'Open the ML Workspace panel', icon: studioIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIds.openRun, {
      label: 'Open Run by Id…',
      execute: async args => {
        let runId = (args.runId as string) || '';
        const workspaceId = (args.workspaceId as string) || studio.workspaceId;
        if (!runId) {
          const result = await InputDialog.getText({ title: 'Open run', label: 'Run id' });
          runId = (result.value ?? '').trim();
        }
        if (!runId) {
          return;
        }
        if (!workspaceId) {
          studio.notifyError('Opening a run', new Error('select a workspace first'));
          return;
        }
        studio.openRun(workspaceId, runId, args.tab as string | undefined);
      }
    });
    app.commands.addCommand(CommandIds.refresh, {
      label: 'Refresh ML Workspace Views',
      execute: async () => {
        await panel.refresh();
        const current = app.shell.currentWidget;
        if (current instanceof RunViewWidget) {
          await current.content.view.refresh();
        } else if (current instanceof RunsTableWidget) {
          current.content.reload();
        }
      }
    });
    app.commands.addCommand(CommandIds.createWorkspace, {
      label: 'Create ML Workspace…',
      execute: () => createWorkspaceFlow(studio)
    });
    app.commands.addCommand(CommandIds.createExperiment, {
      label: 'Create Experiment…',
      execute: () => createExperimentFlow(studio)
    });
    app.commands.addCommand(CommandIds.submitScript, {
      label: 'Submit Script Run…',
      caption: 'Run this script on a compute target as a run of an experiment',
      icon: studioIcon,
      // Only on servers with the scriptruns route (see detectRoutes).
      isVisible: () => studio.routes.has('/workspaces/{workspace_id}/scriptruns'),
      execute: async args => {
        const path = (args.path as string) || selectedPythonFile(app);
        if (!path) {
          studio.notifyError('Submitting a script run', new Error('select a .py file first'));
          return;
        }
        await submitScriptFlow(studio, path);
      }
    });
    const hasRoute = (path: string) => studio.routes.has(`/workspaces/{workspace_id}/${path}`);
    const inWorkspace = (open: (ws: string, name?: string) => void, what: string) =>
      (args: Record<string, unknown>) => {
        const ws = (args.workspaceId as string) || studio.workspaceId;
        if (!ws) {
          studio.notifyError(`Opening ${what}`, new Error('select a workspace first'));
          return;
        }
        open.call(studio, ws, (args.name as string) || undefined);
      };
    app.commands.addCommand(CommandIds.openModels, {
      label: 'Models', caption: 'Registered models: versions, aliases, lineage, history',
      isVisible: () => hasRoute('models'),
      execute: inWorkspace(studio.openModels, 'the models')
    });
    app.commands.addCommand(CommandIds.openEndpoints, {
      label: 'Endpoints', caption: 'Deployed services: state, monitoring, test console, logs',
      isVisible: () => hasRoute('services'),
      execute: inWorkspace(studio.openEndpoints, 'the endpoints')
    });
    app.contextMenu.addItem({
      command: CommandIds.submitScript,
      selector: '.jp-DirListing-item[data-file-type="python"]',
      rank: 3
    });
    app.commands.addCommand(CommandIds.registerDataset, {
      label: 'Register Dataset…',
      caption: 'Register the selected files or folders as a dataset of the workspace',
      icon: studioIcon,
      isVisible: () => studio.routes.has(DATASETS_ROUTE),
      execute: async args => {
        const paths = (args.paths as string[] | undefined) ?? selectedPaths(app);
        if (!paths.length) {
          studio.notifyError('Registering a dataset', new Error('select files first'));
          return;
        }
        await registerDatasetFlow(studio, paths);
      }
    });
    app.contextMenu.addItem({
      command: CommandIds.registerDataset,
      selector: '.jp-DirListing-item[data-isdir]',
      rank: 4
    });
    for (const command of Object.values(CommandIds)) {
      if (command !== CommandIds.submitScript && command !== CommandIds.registerDataset) {
        palette?.addItem({ command, category: CATEGORY });
      }
    }
    launcher?.add({ command: CommandIds.openPanel, category: 'Other', rank: 1 });

    handleRunLinks(studio);
    void app.restored.then(async () => {
      await detectRoutes(studio);
      openFromUrl(studio);
    });
  }
};

export default plugin;
