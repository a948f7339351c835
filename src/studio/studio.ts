// The studio's shared state: the REST client, the selected workspace, one live source per
// workspace, and the openers the panel, commands and views use to open main-area views.
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { Signal } from '@lumino/signaling';
import type { LiveSource } from '../common/source';
import { errorMessage } from '../common/dom';
import { MlwsApi } from '../rest/api';
import { PollingLiveSource, WebSocketLiveSource } from '../rest/live';
import { RestRunSource } from '../rest/runSource';
import { CompareWidget } from './compareView';
import { EndpointsWidget } from './endpoints';
import { ModelsWidget } from './models';
import { RunViewWidget } from './runWidget';
import { RunsTableWidget } from './runsTable';

const WORKSPACE_KEY = 'mlws:workspace';

export class Studio {
  readonly api = new MlwsApi();
  readonly workspaceChanged = new Signal<Studio, string | null>(this);
  /** Emitted after something was created/deleted here, so lists refresh at once. */
  readonly dataChanged = new Signal<Studio, void>(this);
  private lives = new Map<string, LiveSource>();
  private _workspaceId: string | null = localStorage.getItem(WORKSPACE_KEY);
  /** Set when the server has the WebSocket live channel. */
  useWebSocket = false;
  /** The server's REST paths (from openapi.json): sections and menus of newer back ends
   * (compute, environments, script runs) show only when their routes exist. */
  routes = new Set<string>();

  constructor(readonly app: JupyterFrontEnd) {}

  get workspaceId(): string | null {
    return this._workspaceId;
  }

  set workspaceId(id: string | null) {
    if (id === this._workspaceId) {
      return;
    }
    this._workspaceId = id;
    if (id) {
      localStorage.setItem(WORKSPACE_KEY, id);
    } else {
      localStorage.removeItem(WORKSPACE_KEY);
    }
    this.workspaceChanged.emit(id);
  }

  live(workspaceId: string): LiveSource {
    let live = this.lives.get(workspaceId);
    if (!live) {
      live = this.useWebSocket
        ? new WebSocketLiveSource(this.api, workspaceId)
        : new PollingLiveSource(this.api, workspaceId);
      this.lives.set(workspaceId, live);
    }
    return live;
  }

  private find<T>(id: string): T | null {
    for (const w of this.app.shell.widgets('main')) {
      if (w.id === id) {
        return w as unknown as T;
      }
    }
    return null;
  }

  openRun(workspaceId: string, runId: string, tab?: string): RunViewWidget {
    const id = `mlws-run-${workspaceId}-${runId}`;
    const existing = this.find<RunViewWidget>(id);
    if (existing) {
      this.app.shell.activateById(id);
      if (tab) {
        existing.content.view.selectTab(tab);
      }
      return existing;
    }
    const live = this.live(workspaceId);
    const source = new RestRunSource(this.api, workspaceId, runId, live,
      child => this.openRun(workspaceId, child));
    const widget = new RunViewWidget(source, tab);
    widget.node.dataset.live = live.kind;
    widget.id = id;
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(id);
    return widget;
  }

  openRunsTable(workspaceId: string, experiment: string): void {
    const id = `mlws-runs-${workspaceId}-${experiment}`;
    if (this.find(id)) {
      this.app.shell.activateById(id);
      return;
    }
    const widget = new RunsTableWidget(this, workspaceId, experiment);
    widget.id = id;
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(id);
  }

  openCompare(workspaceId: string, runIds: string[]): void {
    const widget: MainAreaWidget = new CompareWidget(this, workspaceId, runIds);
    widget.id = `mlws-compare-${Date.now()}`;
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(widget.id);
  }

  /** The Models view of a workspace (one per workspace), `selected`: a model name or id. */
  openModels(workspaceId: string, selected?: string): void {
    const id = `mlws-models-${workspaceId}`;
    const existing = this.find<ModelsWidget>(id);
    if (existing) {
      this.app.shell.activateById(id);
      void existing.content.refresh();
      return;
    }
    const widget = new ModelsWidget(this, workspaceId, selected);
    widget.id = id;
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(id);
  }

  /** The Endpoints view of a workspace (one per workspace), `selected`: a service name. */
  openEndpoints(workspaceId: string, selected?: string): void {
    const id = `mlws-endpoints-${workspaceId}`;
    if (this.find(id)) {
      this.app.shell.activateById(id);
      return;
    }
    const widget = new EndpointsWidget(this, workspaceId, selected);
    widget.id = id;
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(id);
  }

  notifyError(action: string, err: unknown): void {
    Notification.error(`${action}: ${errorMessage(err)}`, { autoClose: 8000 });
  }
}
