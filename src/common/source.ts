// The data-source interface the shared run view is written against. The studio implements it
// over REST (src/rest/), the notebook widget over anywidget's comm (src/widget/).
import type {
  ArtifactList, LogChunk, MetricInfo, MetricSeries, ModelVersion, Run, SnapshotManifest
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
  /** Points with seq > since, downsampled to maxPoints (all points when undefined). */
  getSeries(name: string, since: number, maxPoints?: number): Promise<MetricSeries>;
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
