// The data-source interface the shared run view is written against. The studio implements it
// over REST (src/rest/), the notebook widget over anywidget's comm (src/widget/).
import type {
  ArtifactList, LogChunk, MetricInfo, MetricSeries, ModelVersion, Run, RunValues,
  SnapshotManifest
} from './types';

/** What changed, as pushed by a live source: "run", "metrics", "artifacts", "logs", "children". */
export type ChangeKind = 'run' | 'metrics' | 'artifacts' | 'logs' | 'children';
export type ChangeListener = (what: ChangeKind[]) => void;

/** Artifact bytes with their type, as the content route or the comm returns them. */
export interface ArtifactContent {
  contentType: string;
  blob: Blob;
}

export interface RunDataSource {
  readonly runId: string;
  readonly workspaceId: string;
  getRun(): Promise<Run>;
  listMetrics(): Promise<MetricInfo[]>;
  /** Points with since < seq <= until (no bound when undefined), downsampled to maxPoints
   * (all points when undefined). `total` counts the whole series. */
  getSeries(name: string, since: number, maxPoints?: number, until?: number):
  Promise<MetricSeries>;
  getChildren(): Promise<Run[]>;
  listArtifacts(prefix?: string): Promise<ArtifactList>;
  getArtifact(path: string): Promise<ArtifactContent>;
  getLogTail(path: string, offset: number): Promise<LogChunk>;
  /** null when the run has no snapshot or the back end cannot serve snapshots. */
  getSnapshot(): Promise<SnapshotManifest | null>;
  getSnapshotFile(path: string): Promise<ArtifactContent>;
  /** Called with what changed; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void;

  // Optional capabilities: a front end without them hides the matching controls.
  /** A URL the browser can download the artifact (or, with zip, the folder) from. */
  downloadUrl?(path: string, zip?: boolean): string;
  updateRun?(patch: {
    tags?: Record<string, string>; remove_tags?: string[]; description?: string;
    display_name?: string;
  }): Promise<Run>;
  /** Ask the run to stop (a submitted script's processes are killed); the run as it is then. */
  cancelRun?(): Promise<Run>;
  /** The run's child runs as a set to analyse (trials of a sweep). */
  childRuns?(): RunSetSource;
  /** Navigate to another run of the same workspace (a child, the parent). */
  openRun?(runId: string): void;
  /** A link to open this run in the studio (shown as "View Run Details"). */
  labUrl?(): string | null;
  /** The model versions registered from this run (run.register_model). */
  listModels?(): Promise<ModelVersion[]>;
}

/**
 * Where change notifications come from. Polling is the fallback; a WebSocket subscription
 * implements the same interface, so the views never know which one they have.
 */
export interface LiveSource {
  /** "websocket" or "polling": shown on the views as data-live (diagnostics, tests). */
  readonly kind: string;
  subscribe(runId: string, listener: ChangeListener): () => void;
  dispose(): void;
}

/** Where an analysis reads many runs: the children of a run, the rows of a runs table. */
export interface RunSetSource {
  values(columns: string[]): Promise<RunValues>;
  /** Series of some runs for the charts view (its caller caps how many runs). */
  series?(runIds: string[], names: string[], maxPoints: number): Promise<MetricSeries[]>;
  openRun?(runId: string): void;
}
