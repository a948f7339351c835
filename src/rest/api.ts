// REST client of the jupyter_mlws server extension ({base}/mlws/api/v1), through JupyterLab's
// ServerConnection (auth token, XSRF). Each method names its operation of the table
// (jupyter_mlws/api); paths, parameters and bodies are typed by the generated api.gen.ts.
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { OPERATIONS } from '../common/api.gen';
import type {
  ArtifactList, BuiltEnvironment, ComputeTarget, ConsoleAnswer, EnvironmentAsset, Experiment,
  LogChunk, MetricInfo, MetricSeries, ModelEvent, ModelVersion, Operations, Run, RunPage,
  ScriptRunSubmit, Service, ServiceDrift, ServiceMetrics, SnapshotManifest, Workspace
} from '../common/types';

export const API_PATH = 'mlws/api/v1';

export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly reason: string) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | string[] | undefined | null>;
type OperationId = keyof Operations;

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
/** Artifact paths and metric names keep their "/" separators; each segment is encoded. */
const encPath = (path: string): string => path.split('/').map(enc).join('/');

/** The path of an operation with its parameters filled in. */
export function operationPath<K extends OperationId>(id: K, params: Operations[K]['params']):
string {
  const { path, slashes } = OPERATIONS[id];
  const values = params as Record<string, string | number>;
  return path.slice(1).replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = String(values[name]);
    return (slashes as readonly string[]).includes(name) ? encPath(value) : enc(value);
  });
}

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

  /** The response of operation `id` (any answer: JSON, file or empty). */
  request<K extends OperationId>(id: K, params: Operations[K]['params'],
    query?: Operations[K]['query'], body?: Operations[K]['body']): Promise<Response> {
    const init: RequestInit = { method: OPERATIONS[id].method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    return this.fetch(operationPath(id, params), init, query as Query | undefined);
  }

  /** The JSON answer of operation `id` (undefined for 204). */
  async call<K extends OperationId>(id: K, params: Operations[K]['params'],
    query?: Operations[K]['query'], body?: Operations[K]['body']):
  Promise<Operations[K]['answer']> {
    const response = await this.request(id, params, query, body);
    if (response.status === 204) {
      return undefined as Operations[K]['answer'];
    }
    return (await response.json()) as Operations[K]['answer'];
  }

  // ---- workspaces
  async listWorkspaces(): Promise<Workspace[]> {
    return (await this.call('listWorkspaces', {})).workspaces;
  }
  getWorkspace(id: string): Promise<Workspace> {
    return this.call('getWorkspace', { workspace_id: id });
  }
  createWorkspace(body: Operations['createWorkspace']['body']): Promise<Workspace> {
    return this.call('createWorkspace', {}, undefined, body);
  }
  async deleteWorkspace(id: string): Promise<void> {
    await this.call('deleteWorkspace', { workspace_id: id });
  }

  // ---- experiments (named in their workspace, keyed by id elsewhere)
  async listExperiments(ws: string, viewType: 'ActiveOnly' | 'ArchivedOnly' | 'All' =
  'ActiveOnly'): Promise<Experiment[]> {
    return (await this.call('listExperiments', { workspace_id: ws },
      { view_type: viewType, with_run_counts: true })).experiments;
  }
  createExperiment(ws: string, name: string): Promise<Experiment> {
    return this.call('createExperiment', { workspace_id: ws }, undefined, { name });
  }
  updateExperiment(ws: string, id: string, body: Operations['updateExperiment']['body']):
  Promise<Experiment> {
    return this.call('updateExperiment', { experiment_id: id }, { workspace_id: ws }, body);
  }
  async deleteExperiment(ws: string, id: string): Promise<void> {
    await this.call('deleteExperiment', { experiment_id: id }, { workspace_id: ws });
  }

  // ---- runs (listed in their workspace, keyed by id elsewhere)
  listRuns(ws: string, query: Operations['searchRuns']['query']): Promise<RunPage> {
    return this.call('searchRuns', { workspace_id: ws }, query);
  }
  getRun(ws: string, id: string): Promise<Run> {
    return this.call('getRun', { run_id: id }, { workspace_id: ws });
  }
  updateRun(ws: string, id: string, body: Operations['editRun']['body']): Promise<Run> {
    return this.call('editRun', { run_id: id }, { workspace_id: ws }, body);
  }
  async deleteRun(ws: string, id: string): Promise<void> {
    await this.call('deleteRun', { run_id: id }, { workspace_id: ws });
  }
  cancelRun(ws: string, id: string): Promise<Run> {
    return this.call('cancelRun', { run_id: id }, { workspace_id: ws });
  }
  async getChildren(ws: string, id: string): Promise<Run[]> {
    return (await this.listRuns(ws, { parent_run_id: id, limit: 1000, descending: false,
      order_by: 'number' })).runs;
  }

  // ---- metrics
  async listMetrics(ws: string, id: string): Promise<MetricInfo[]> {
    return (await this.call('listMetrics', { run_id: id }, { workspace_id: ws })).metrics;
  }
  getSeries(ws: string, id: string, name: string, since: number, maxPoints?: number):
  Promise<MetricSeries> {
    return this.call('getMetricSeries', { run_id: id, metric_name: name },
      { workspace_id: ws, since, max_points: maxPoints });
  }
  async queryMetrics(ws: string, runIds: string[], names?: string[], maxPoints = 2000):
  Promise<MetricSeries[]> {
    return (await this.call('queryMetrics', { workspace_id: ws }, undefined,
      { run_ids: runIds, names, max_points: maxPoints })).series;
  }

  // ---- files
  listArtifacts(ws: string, id: string, prefix?: string): Promise<ArtifactList> {
    return this.call('listArtifacts', { run_id: id }, { workspace_id: ws, prefix });
  }
  artifactUrl(ws: string, id: string, path: string, zip = false): string {
    return zip
      ? this.url(operationPath('downloadArtifactsZip', { run_id: id }),
        { workspace_id: ws, prefix: path })
      : this.url(operationPath('downloadArtifact', { run_id: id, path }), { workspace_id: ws });
  }
  getArtifact(ws: string, id: string, path: string): Promise<Response> {
    return this.request('downloadArtifact', { run_id: id, path }, { workspace_id: ws });
  }
  getLogTail(ws: string, id: string, path: string, offset: number): Promise<LogChunk> {
    return this.call('tailLog', { run_id: id, path }, { workspace_id: ws, offset });
  }

  // ---- snapshots: a run points to its snapshot by snapshot_id
  getSnapshot(snapshotId: string): Promise<SnapshotManifest> {
    return this.call('getSnapshot', { snapshot_id: snapshotId });
  }
  getSnapshotFile(snapshotId: string, path: string): Promise<Response> {
    return this.request('getSnapshotFile', { snapshot_id: snapshotId, path });
  }

  // ---- compute, environments, script runs (newer servers: see Studio.routes)
  async listComputes(ws: string): Promise<ComputeTarget[]> {
    return (await this.call('listComputeTargets', { workspace_id: ws })).computes;
  }
  /** Stop a cluster's daemon (scaled to zero; the next run starts it) or an instance. */
  stopCompute(ws: string, name: string): Promise<ComputeTarget> {
    return this.call('stopComputeTarget', { workspace_id: ws, compute_name: name });
  }
  async listEnvironments(ws: string, allVersions = false): Promise<EnvironmentAsset[]> {
    return (await this.call('listEnvironments', { workspace_id: ws },
      { all_versions: allVersions || undefined })).environments;
  }
  async listBuiltEnvironments(): Promise<BuiltEnvironment[]> {
    return (await this.call('listBuiltEnvironments', {})).environments;
  }
  submitScriptRun(ws: string, body: ScriptRunSubmit): Promise<Run> {
    return this.call('submitScriptRun', { workspace_id: ws }, undefined, body);
  }

  // ---- the model registry and deployed services (newer servers: see Studio.routes)
  async listModels(ws: string, query: Operations['listModels']['query'] = {}):
  Promise<ModelVersion[]> {
    return (await this.call('listModels', { workspace_id: ws }, query)).models;
  }
  async getModelHistory(ws: string, name: string): Promise<ModelEvent[]> {
    return (await this.call('getModelHistory', { workspace_id: ws, model_name: name })).events;
  }
  setModelAlias(ws: string, name: string, alias: string, version: number):
  Promise<ModelVersion> {
    return this.call('setModelAlias', { workspace_id: ws, model_name: name, alias },
      undefined, { version });
  }
  async removeModelAlias(ws: string, name: string, alias: string): Promise<void> {
    await this.call('removeModelAlias', { workspace_id: ws, model_name: name, alias });
  }
  async deleteModel(ws: string, name: string, version: number): Promise<void> {
    await this.call('deleteModel', { workspace_id: ws, model_name: name, version });
  }
  /** Where the browser downloads one file of a model version (its files are a snapshot). */
  modelFileUrl(model: ModelVersion, path: string): string {
    return this.url(operationPath('getSnapshotFile', { snapshot_id: model.snapshot_id, path }),
      { workspace_id: model.workspace_id });
  }
  async listServices(ws: string): Promise<Service[]> {
    return (await this.call('listServices', { workspace_id: ws })).services;
  }
  getService(ws: string, name: string): Promise<Service> {
    return this.call('getService', { workspace_id: ws, service_name: name });
  }
  getServiceMetrics(ws: string, name: string, since?: number): Promise<ServiceMetrics> {
    return this.call('getServiceMetrics', { workspace_id: ws, service_name: name }, { since });
  }
  /** Drift of the collected inputs against the deployed model's sample input dataset. */
  getServiceDrift(ws: string, name: string): Promise<ServiceDrift> {
    return this.call('getServiceDrift', { workspace_id: ws, service_name: name });
  }
  async getServiceLogs(ws: string, name: string, numLines = 200): Promise<string> {
    return (await this.call('getServiceLogs', { workspace_id: ws, service_name: name },
      { num_lines: numLines })).logs;
  }
  /** The test console: `text` goes to the service as is; its answer, whatever the status. */
  async scoreService(ws: string, name: string, text: string): Promise<ConsoleAnswer> {
    const response = await this.fetch(operationPath('scoreService',
      { workspace_id: ws, service_name: name }), { method: 'POST', body: text,
      headers: { 'Content-Type': 'application/json' } });
    return (await response.json()) as ConsoleAnswer;
  }
  async deleteService(ws: string, name: string): Promise<void> {
    await this.call('deleteService', { workspace_id: ws, service_name: name });
  }
}
