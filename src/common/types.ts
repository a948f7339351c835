// Shapes of the REST bodies: the generated types of the operation table (api.gen.ts, from
// jupyter_mlws/api), under the names the views use. The notebook widget's comm protocol
// returns exactly the same shapes, so both front ends share these types.
import type { Operations, Snapshot } from './api.gen';
import { TERMINAL_STATUSES } from './api.gen';

export type {
  Artifact, ArtifactList, ArtifactNode, BuiltEnvironment, ComputeTarget, ConsoleAnswer,
  EnvironmentAsset, Experiment, LogChunk, MetricInfo, MetricKind, MetricScalar, MetricSeries,
  MetricValue, ModelEvent, ModelVersion, Operations, Run, RunPage, RunStatus, ScriptRunSubmit,
  Service, ServiceDrift, ServiceMetrics, Tags, Workspace
} from './api.gen';
export { ACTIVE_STATUSES, RUN_STATUSES, TERMINAL_STATUSES } from './api.gen';

/** A run's snapshot as the store records it: path -> {sha256, size}. */
export type SnapshotManifest = Snapshot;

/** The answer body of an operation. */
export type Answer<K extends keyof Operations> = Operations[K]['answer'];

export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.has(status);
}
