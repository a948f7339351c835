// REST client of the jupyter_mlws server extension ({base}/mlws/api/v1), through JupyterLab's
// ServerConnection (auth token, XSRF). Response shapes: jupyter_mlws/server/openapi.json.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type {
  ArtifactList, BuiltEnvironment, ComputeCreate, ComputeNode, ComputeTarget, EnvironmentAsset,
  EnvironmentDetails, Experiment, LogChunk,
  MetricInfo, MetricSeries, Run, RunKeys, RunPage, RunValues, ScriptRunSubmit, SnapshotManifest,
  Workspace
} from '../common/types';

export const API_PATH = 'mlws/api/v1';

export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly reason: string) {
    super(message);
  }
}

export type Query = Record<string, string | number | boolean | string[] | undefined | null>;

function queryString(query: Query | undefined): string {
  if (!query) {
    return '';
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach(v => params.append(key, v));
    } else {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

const enc = encodeURIComponent;
/** Artifact paths keep their "/" separators; each segment is encoded. */
const encPath = (path: string): string => path.split('/').map(enc).join('/');

export class MlwsApi {
  readonly settings: ServerConnection.ISettings;

  constructor(settings?: ServerConnection.ISettings) {
    this.settings = settings ?? ServerConnection.makeSettings();
  }

  url(path: string, query?: Query): string {
    return URLExt.join(this.settings.baseUrl, API_PATH, path) + queryString(query);
  }

  async fetch(path: string, init: RequestInit = {}, query?: Query): Promise<Response> {
    const response = await ServerConnection.makeRequest(this.url(path, query), init,
      this.settings);
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      let reason = 'Error';
      try {
        const body = await response.json();
        message = body.message ?? message;
        reason = body.reason ?? reason;
      } catch {
        // Not a JSON error body (e.g. a route the server does not have).
      }
      throw new ApiError(message, response.status, reason);
    }
    return response;
  }

  async json<T>(path: string, init: RequestInit = {}, query?: Query): Promise<T> {
    const response = await this.fetch(path, init, query);
    if (response.status === 204) {
      return undefined as T;
    }
    return (await response.json()) as T;
  }

  private send<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.json<T>(path, {
      method, body: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' }
    });
  }

  // ---- workspaces
  async listWorkspaces(): Promise<Workspace[]> {
    return (await this.json<{ workspaces: Workspace[] }>('workspaces')).workspaces;
  }
  getWorkspace(id: string): Promise<Workspace> {
    return this.json(`workspaces/${enc(id)}`);
  }
  createWorkspace(body: {
    name: string; subscription_id?: string; resource_group?: string; storage_url?: string;
  }): Promise<Workspace> {
    return this.send('POST', 'workspaces', body);
  }
  deleteWorkspace(id: string): Promise<void> {
    return this.send('DELETE', `workspaces/${enc(id)}`);
  }

  /** The workspace a folder's config.json names (null: none, or not in this store). */
  async configuredWorkspace(path = ''): Promise<Workspace | null> {
    return (await this.json<{ workspace: Workspace | null }>('workspace-config', {},
      { path })).workspace;
  }

  // ---- experiments
  async listExperiments(ws: string, viewType = 'ActiveOnly'): Promise<Experiment[]> {
    return (await this.json<{ experiments: Experiment[] }>(`workspaces/${enc(ws)}/experiments`,
      {}, { view_type: viewType, with_run_counts: true })).experiments;
  }
  createExperiment(ws: string, name: string): Promise<Experiment> {
    return this.send('POST', `workspaces/${enc(ws)}/experiments`, { name });
  }
  updateExperiment(ws: string, name: string, body: { archived?: boolean }): Promise<Experiment> {
    return this.send('PATCH', `workspaces/${enc(ws)}/experiments/${enc(name)}`, body);
  }
  deleteExperiment(ws: string, name: string): Promise<void> {
    return this.send('DELETE', `workspaces/${enc(ws)}/experiments/${enc(name)}`);
  }

  // ---- runs
  listRuns(ws: string, query: Query): Promise<RunPage> {
    return this.json(`workspaces/${enc(ws)}/runs`, {}, query);
  }
  /** Metric/tag/property/parameter names of the runs `query` (listRuns' parameters) matches. */
  runKeys(ws: string, query: Query): Promise<RunKeys> {
    return this.json(`workspaces/${enc(ws)}/run-keys`, {}, query);
  }
  /** Chosen values of the runs `query` matches, as columns (one read for 10,000 runs). */
  runValues(ws: string, query: Query, columns: string[]): Promise<RunValues> {
    return this.json(`workspaces/${enc(ws)}/run-values`, {}, { ...query, column: columns });
  }
  getRun(ws: string, id: string): Promise<Run> {
    return this.json(`workspaces/${enc(ws)}/runs/${enc(id)}`);
  }
  updateRun(ws: string, id: string, body: unknown): Promise<Run> {
    return this.send('PATCH', `workspaces/${enc(ws)}/runs/${enc(id)}`, body);
  }
  deleteRun(ws: string, id: string): Promise<void> {
    return this.send('DELETE', `workspaces/${enc(ws)}/runs/${enc(id)}`);
  }
  cancelRun(ws: string, id: string): Promise<Run> {
    return this.send('POST', `workspaces/${enc(ws)}/runs/${enc(id)}/cancel`);
  }
  async getChildren(ws: string, id: string): Promise<Run[]> {
    const page = await this.json<RunPage>(`workspaces/${enc(ws)}/runs/${enc(id)}/children`, {},
      { limit: 1000, descending: false, order_by: 'number' });
    return page.runs;
  }

  // ---- metrics
  async listMetrics(ws: string, id: string): Promise<MetricInfo[]> {
    return (await this.json<{ metrics: MetricInfo[] }>(
      `workspaces/${enc(ws)}/runs/${enc(id)}/metrics`)).metrics;
  }
  getSeries(ws: string, id: string, name: string, since: number, maxPoints?: number,
    until?: number): Promise<MetricSeries> {
    return this.json(`workspaces/${enc(ws)}/runs/${enc(id)}/metrics/${encPath(name)}`, {},
      { since, max_points: maxPoints, until });
  }
  async queryMetrics(ws: string, runIds: string[], names?: string[], maxPoints = 2000):
  Promise<MetricSeries[]> {
    return (await this.send<{ series: MetricSeries[] }>('POST',
      `workspaces/${enc(ws)}/metrics/query`, { run_ids: runIds, names, max_points: maxPoints }))
      .series;
  }

  // ---- files
  listArtifacts(ws: string, id: string, prefix?: string): Promise<ArtifactList> {
    return this.json(`workspaces/${enc(ws)}/runs/${enc(id)}/artifacts`, {}, { prefix });
  }
  artifactUrl(ws: string, id: string, path: string, zip = false): string {
    const base = `workspaces/${enc(ws)}/runs/${enc(id)}/artifacts`;
    return zip ? this.url(`${base}/zip`, { prefix: path }) : this.url(`${base}/content/${encPath(path)}`);
  }
  getArtifact(ws: string, id: string, path: string): Promise<Response> {
    return this.fetch(`workspaces/${enc(ws)}/runs/${enc(id)}/artifacts/content/${encPath(path)}`);
  }
  getLogTail(ws: string, id: string, path: string, offset: number): Promise<LogChunk> {
    return this.json(`workspaces/${enc(ws)}/runs/${enc(id)}/logs/${encPath(path)}`, {},
      { offset });
  }

  // ---- snapshots: a run points to its snapshot by snapshot_id
  getSnapshot(snapshotId: string): Promise<SnapshotManifest> {
    return this.json(`snapshots/${enc(snapshotId)}`);
  }
  getSnapshotFile(snapshotId: string, path: string): Promise<Response> {
    return this.fetch(`snapshots/${enc(snapshotId)}/files/${encPath(path)}`);
  }

  // ---- compute, environments, script runs (newer servers: see Studio.routes)
  async listComputes(ws: string): Promise<ComputeTarget[]> {
    return (await this.json<{ computes: ComputeTarget[] }>(`workspaces/${enc(ws)}/computes`))
      .computes;
  }
  createCompute(ws: string, body: ComputeCreate): Promise<ComputeTarget> {
    return this.send('POST', `workspaces/${enc(ws)}/computes`, body);
  }
  /** A target with its nodes (a cluster's: v1's list_nodes()). */
  getCompute(ws: string, name: string): Promise<ComputeTarget & { nodes?: ComputeNode[] }> {
    return this.json(`workspaces/${enc(ws)}/computes/${enc(name)}`);
  }
  deleteCompute(ws: string, name: string): Promise<void> {
    return this.send('DELETE', `workspaces/${enc(ws)}/computes/${enc(name)}`);
  }
  getEnvironment(ws: string, name: string, version?: number): Promise<EnvironmentDetails> {
    return this.json(`workspaces/${enc(ws)}/environments/${enc(name)}`, {}, { version });
  }
  getBuildLog(hash: string): Promise<{ hash: string; log: string }> {
    return this.json(`environments/built/${enc(hash)}/log`);
  }
  /** Stop a cluster's daemon (scaled to zero; the next run starts it) or an instance. */
  stopCompute(ws: string, name: string): Promise<ComputeTarget> {
    return this.send('POST', `workspaces/${enc(ws)}/computes/${enc(name)}/stop`);
  }
  async listEnvironments(ws: string, allVersions = false): Promise<EnvironmentAsset[]> {
    return (await this.json<{ environments: EnvironmentAsset[] }>(
      `workspaces/${enc(ws)}/environments`, {}, { all_versions: allVersions || undefined }))
      .environments;
  }
  async listBuiltEnvironments(): Promise<BuiltEnvironment[]> {
    return (await this.json<{ environments: BuiltEnvironment[] }>('environments/built'))
      .environments;
  }
  submitScriptRun(ws: string, body: ScriptRunSubmit): Promise<Run> {
    return this.send('POST', `workspaces/${enc(ws)}/scriptruns`, body);
  }
}
