// Shapes of the REST response bodies (jupyter_mlws/server/openapi.json). The notebook widget's
// comm protocol returns exactly the same shapes, so both front ends share these types.

export type Tags = Record<string, string | null>;

export interface Workspace {
  id: string;
  name: string;
  subscription_id: string;
  resource_group: string;
  location: string;
  storage_url: string;
  friendly_name?: string;
  description?: string;
  tags: Tags;
  created_time: number;
}

export interface Experiment {
  id: string;
  workspace_id: string;
  name: string;
  archived_time?: number | null;
  tags: Tags;
  created_time: number;
  run_count?: number | null;
  /** Of run_count, the child runs (the runs table lists top-level runs by default). */
  child_run_count?: number | null;
}

export type RunStatus =
  | 'CancelRequested' | 'Canceled' | 'Completed' | 'Failed' | 'Finalizing' | 'NotResponding'
  | 'NotStarted' | 'Paused' | 'Pausing' | 'Preparing' | 'Provisioning' | 'Queued' | 'Running'
  | 'Starting' | 'Unapproved';

export interface Run {
  id: string;
  workspace_id: string;
  experiment_id: string;
  experiment_name: string;
  number: number;
  status: RunStatus;
  parent_run_id?: string | null;
  run_type?: string | null;
  display_name?: string | null;
  description?: string | null;
  target?: string;
  created_time: number;
  start_time?: number | null;
  end_time?: number | null;
  properties: Record<string, string>;
  tags: Tags;
  error?: { error?: { code?: string; message?: string; [k: string]: unknown } } | null;
  run_definition?: Record<string, unknown>;
  snapshot_id?: string | null;
  owner?: string | null;
  heartbeat_time?: number | null;
}

export interface RunPage {
  runs: Run[];
  total: number;
}

export type MetricScalar = number | boolean | string | null;
export type MetricValue = MetricScalar | Record<string, MetricScalar>;
export type MetricKind =
  | 'scalar' | 'list' | 'table' | 'image' | 'confusion_matrix' | 'accuracy_table' | 'residuals'
  | 'predictions';

export interface MetricInfo {
  run_id: string;
  name: string;
  kind: MetricKind;
  count: number;
  last_value?: MetricValue;
  last_step?: number | null;
  description?: string;
}

export interface MetricSeries {
  run_id: string;
  name: string;
  kind: MetricKind;
  seq: number[];
  step: (number | null)[];
  time: number[];
  value?: MetricValue[];
  columns?: Record<string, MetricScalar[]>;
  total: number;
}

export interface Artifact {
  run_id: string;
  path: string;
  size: number;
  content_type: string;
  created_time: number;
}

export interface ArtifactNode {
  name: string;
  path: string;
  type: 'file' | 'directory';
  size: number;
  content_type?: string;
  created_time?: number;
  children?: ArtifactNode[];
}

export interface ArtifactList {
  artifacts: Artifact[];
  tree: ArtifactNode;
}

export interface LogChunk {
  data: string;
  offset: number;
  size: number;
}

/** A run's snapshot as the store records it (SnapshotRecord): path -> {sha256, size}. */
export interface SnapshotManifest {
  id: string;
  workspace_id?: string;
  files: Record<string, { sha256?: string; size?: number }>;
  created_time?: number;
}

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  'Completed', 'Failed', 'Canceled'
]);

export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** GET /workspaces/{id}/computes: `status` is type-specific (node counts, state, errors). */
export interface ComputeTarget {
  name: string;
  type: string;
  provisioning_state: string;
  status: Record<string, unknown>;
  spec?: Record<string, unknown>;
  created_time?: number;
  description?: string;
  tags?: Tags;
}

/** GET /workspaces/{id}/environments (all_versions=true lists every version). */
export interface EnvironmentAsset {
  name: string;
  version: number;
  description?: string;
  tags?: Tags;
  created_time?: number;
  definition: Record<string, unknown>;
}

/** GET /environments/built: the cache of built run environments of this server. */
export interface BuiltEnvironment {
  hash: string;
  path: string;
  interpreter?: string | null;
  spec?: Record<string, unknown>;
  created_time?: number | null;
  last_used_time?: number | null;
}

/** POST /workspaces/{id}/scriptruns */
export interface ScriptRunSubmit {
  experiment: string;
  source_directory: string;
  script: string;
  arguments?: (string | number)[];
  compute_target?: string;
  environment?: { name: string; version?: string | number };
}

/** A name some runs have (GET run-keys): a metric (with its kind), tag, property, parameter. */
export interface KeyCount {
  name: string;
  runs: number;
  kind?: string | null;
}

/** GET /workspaces/{id}/run-keys: what the runs a query matches have. */
export interface RunKeys {
  metrics: KeyCount[];
  tags: KeyCount[];
  properties: KeyCount[];
  /** Script arguments (--name value) of the runs. */
  parameters: KeyCount[];
  attributes: string[];
  runs: number;
}

/** GET /workspaces/{id}/run-values: columns[key][i] belongs to run ids[i]. Keys are
 * metrics.<name>, tags.<key>, properties.<key>, parameters.<name>, attributes.<name>;
 * attributes.id, number, display_name, status and parent_run_id always come. */
export interface RunValues {
  ids: string[];
  columns: Record<string, unknown[]>;
  total: number;
}

/** POST /workspaces/{id}/computes */
export interface ComputeCreate {
  name: string;
  type: 'AmlCompute' | 'ComputeInstance';
  vm_size?: string;
  min_nodes?: number;
  max_nodes?: number;
  idle_seconds_before_scaledown?: number;
}

export interface ComputeNode {
  nodeId: string;
  port?: number | null;
  privateIpAddress?: string;
  nodeState?: string;
  runIds?: string[];
}

/** GET /workspaces/{id}/environments/{name}: how this server builds and built it. */
export interface EnvironmentBuild {
  spec: Record<string, unknown> | null;
  hash: string | null;
  built: { hash: string; created_time?: number; last_used_time?: number;
    build_seconds?: number; has_build_log?: boolean; path?: string } | null;
  error: string | null;
}

export type EnvironmentDetails = EnvironmentAsset & { build: EnvironmentBuild };
