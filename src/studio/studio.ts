// The studio's shared state: the REST client, the selected workspace, one live source per
// workspace, and the openers the panel, commands and views use to open main-area views.
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { type MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { Signal } from '@lumino/signaling';
import type { LiveSource } from '../common/source';
import { errorMessage } from '../common/dom';
import { MlwsApi } from '../rest/api';
import { PollingLiveSource, WebSocketLiveSource } from '../rest/live';
import { RestRunSource } from '../rest/runSource';
import { CompareWidget } from './compareView';
import { ComputeWidget } from './computeView';
import { EnvironmentWidget } from './environmentView';
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
  /** Resolves once `routes` has been read from the server. */
  readonly routesKnown: Promise<void>;
  private resolveRoutes: () => void = () => undefined;

  constructor(readonly app: JupyterFrontEnd) {
    this.routesKnown = new Promise(resolve => { this.resolveRoutes = resolve; });
  }

  /** The server's paths are known (from openapi.json; empty for an older server). */
  setRoutes(routes: Set<string>): void {
    this.routes = routes;
    this.useWebSocket = routes.has('/live');
    this.resolveRoutes();
  }

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
    widget.mlwsOwner = { workspaceId };
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
    widget.mlwsOwner = { workspaceId, experiment };
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(id);
  }

  /** A main-area view of the workspace, opened once (activated when already open). */
  private openOnce(id: string, make: () => MainAreaWidget, owner: { workspaceId: string;
    experiment?: string }): void {
    if (this.find(id)) {
      this.app.shell.activateById(id);
      return;
    }
    const widget = make() as MainAreaWidget & { mlwsOwner?: typeof owner };
    widget.id = id;
    widget.mlwsOwner = owner;
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(id);
  }

  openCompute(workspaceId: string, name: string): void {
    this.openOnce(`mlws-compute-${workspaceId}-${name}`,
      () => new ComputeWidget(this, workspaceId, name), { workspaceId });
  }

  openEnvironment(workspaceId: string, name: string): void {
    this.openOnce(`mlws-environment-${workspaceId}-${name}`,
      () => new EnvironmentWidget(this, workspaceId, name), { workspaceId });
  }

  openCompare(workspaceId: string, runIds: string[]): void {
    const widget = new CompareWidget(this, workspaceId, runIds);
    widget.id = `mlws-compare-${Date.now()}`;
    widget.mlwsOwner = { workspaceId };
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(widget.id);
  }

  /** Close the views of a deleted workspace (or of one of its experiments). */
  closeViews(workspaceId: string, experiment?: string): void {
    for (const w of [...this.app.shell.widgets('main')]) {
      const owner = (w as { mlwsOwner?: { workspaceId: string; experiment?: string } })
        .mlwsOwner;
      if (owner?.workspaceId === workspaceId &&
          (experiment === undefined || owner.experiment === experiment)) {
        w.close();
      }
    }
  }

  /** The file browser's folder (where a notebook's config.json is looked for), or "". */
  browserFolder(): string {
    for (const w of this.app.shell.widgets('left')) {
      const model = (w as unknown as { model?: { path?: unknown } }).model;
      if (w.id === 'filebrowser' && typeof model?.path === 'string') {
        return model.path.replace(/^[^/:]+:/, '');
      }
    }
    return '';
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
