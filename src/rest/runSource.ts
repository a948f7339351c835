// RunDataSource over REST: the studio's implementation of the shared run view's data source.
import type {
  ArtifactContent, ChangeListener, LiveSource, RunDataSource, RunSetSource
} from '../common/source';
import type {
  ArtifactList, LogChunk, MetricInfo, MetricSeries, ModelVersion, Run, SnapshotManifest
} from '../common/types';
import type { MlwsApi } from './api';

async function content(response: Response): Promise<ArtifactContent> {
  return {
    contentType: response.headers.get('Content-Type')?.split(';')[0] ?? '',
    blob: await response.blob()
  };
}

export class RestRunSource implements RunDataSource {
  constructor(
    private api: MlwsApi, readonly workspaceId: string, readonly runId: string,
    private live: LiveSource, navigate?: (runId: string) => void
  ) {
    if (navigate) {
      this.openRun = (id: string) => navigate(id);
    }
  }

  openRun?: (runId: string) => void;

  getRun(): Promise<Run> {
    return this.api.getRun(this.workspaceId, this.runId);
  }
  listMetrics(): Promise<MetricInfo[]> {
    return this.api.listMetrics(this.workspaceId, this.runId);
  }
  getSeries(name: string, since: number, maxPoints?: number, until?: number):
  Promise<MetricSeries> {
    return this.api.getSeries(this.workspaceId, this.runId, name, since, maxPoints, until);
  }
  getChildren(): Promise<Run[]> {
    return this.api.getChildren(this.workspaceId, this.runId);
  }
  listArtifacts(prefix?: string): Promise<ArtifactList> {
    return this.api.listArtifacts(this.workspaceId, this.runId, prefix);
  }
  async getArtifact(path: string): Promise<ArtifactContent> {
    return content(await this.api.getArtifact(this.workspaceId, this.runId, path));
  }
  getLogTail(path: string, offset: number): Promise<LogChunk> {
    return this.api.getLogTail(this.workspaceId, this.runId, path, offset);
  }
  async getSnapshot(): Promise<SnapshotManifest | null> {
    const run = await this.getRun();
    return run.snapshot_id ? this.api.getSnapshot(run.snapshot_id) : null;
  }
  async getSnapshotFile(path: string): Promise<ArtifactContent> {
    const run = await this.getRun();
    if (!run.snapshot_id) {
      throw new Error('This run has no snapshot.');
    }
    return content(await this.api.getSnapshotFile(run.snapshot_id, path));
  }
  subscribe(listener: ChangeListener): () => void {
    return this.live.subscribe(this.runId, listener);
  }
  downloadUrl(path: string, zip = false): string {
    return this.api.artifactUrl(this.workspaceId, this.runId, path, zip);
  }
  childRuns(): RunSetSource {
    const query = { parent_run_id: this.runId };
    return {
      values: columns => this.api.runValues(this.workspaceId,
        { ...query, order_by: 'number', descending: false }, columns),
      series: (ids, names, maxPoints) => this.api.queryMetrics(this.workspaceId, ids, names,
        maxPoints),
      openRun: this.openRun
    };
  }
  cancelRun(): Promise<Run> {
    return this.api.cancelRun(this.workspaceId, this.runId);
  }
  updateRun(patch: Record<string, unknown>): Promise<Run> {
    return this.api.updateRun(this.workspaceId, this.runId, patch);
  }
  listModels(): Promise<ModelVersion[]> {
    return this.api.listModels(this.workspaceId, { run_id: this.runId });
  }
}
