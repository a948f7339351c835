// RunDataSource over anywidget's comm. JS sends {type: "request", id, op, args}; the kernel
// answers {type: "response", id, ok, data | error} and pushes {type: "changed", what: [...]}.
// `data` has exactly the shape of the matching REST response body (docs/internals.md).
import type {
  ArtifactContent, ChangeKind, ChangeListener, RunDataSource, RunSetSource
} from '../common/source';
import type {
  ArtifactList, LogChunk, MetricInfo, MetricSeries, Run, RunPage, RunValues,
  SnapshotManifest
} from '../common/types';

/** The part of anywidget's model this source uses. */
export interface AnyModel {
  get(name: string): unknown;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event?: string | null, callback?: ((...args: any[]) => void) | null): void;
}

interface Response {
  type: 'response';
  id: number;
  ok: boolean;
  data?: unknown;
  error?: string;
}

const REQUEST_TIMEOUT_MS = 60000;
/** A "run" request that the kernel does not answer this fast (busy, or gone: a saved notebook
 * reopened without a kernel) shows the `summary` trait instead, which the kernel's refresh
 * thread keeps current (or the notebook saved). */
const RUN_TIMEOUT_MS = 5000;

function decodeBase64(base64: string, contentType: string): Blob {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return new Blob([bytes], { type: contentType });
}

export class CommRunSource implements RunDataSource {
  private nextId = 1;
  private pending = new Map<number, {
    resolve: (v: unknown) => void; reject: (e: Error) => void;
    timer: ReturnType<typeof setTimeout>;
  }>();
  private listeners = new Set<ChangeListener>();
  private onMessage = (msg: unknown): void => this.handle(msg);
  private onSummary = (): void => this.emit(['run']);

  /**
   * `childRunId`: a descendant of the widget's run to show instead (the kernel answers for the
   * widget's run and its descendants only); requests then carry `run_id`.
   */
  constructor(private model: AnyModel, private childRunId: string | null = null) {
    model.on('msg:custom', this.onMessage);
    model.on('change:summary', this.onSummary);
    model.on('change:is_finished', this.onSummary);
  }

  get runId(): string {
    return this.childRunId ?? String(this.model.get('run_id') ?? '');
  }

  /** Set by the widget to show a child run in place. */
  openRun?: (runId: string) => void;

  get workspaceId(): string {
    return String(this.model.get('workspace_id') ?? '');
  }

  dispose(): void {
    this.model.off('msg:custom', this.onMessage);
    this.model.off('change:summary', this.onSummary);
    this.model.off('change:is_finished', this.onSummary);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('The widget was closed.'));
    }
    this.pending.clear();
  }

  request<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`The kernel did not answer "${op}" (is it still running?).`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const withRun = this.childRunId ? { ...args, run_id: this.childRunId } : args;
      this.model.send({ type: 'request', id, op, args: withRun });
    });
  }

  private handle(msg: unknown): void {
    const m = msg as { type?: string };
    if (m?.type === 'response') {
      const r = msg as Response;
      const p = this.pending.get(r.id);
      if (!p) {
        return;
      }
      this.pending.delete(r.id);
      clearTimeout(p.timer);
      if (r.ok) {
        p.resolve(r.data);
      } else {
        p.reject(new Error(r.error || 'request failed'));
      }
    } else if (m?.type === 'changed') {
      const what = (msg as { what?: ChangeKind[] }).what;
      this.emit(what?.length ? what : ['run', 'metrics', 'artifacts', 'logs', 'children']);
    }
  }

  private emit(what: ChangeKind[]): void {
    this.listeners.forEach(l => l(what));
  }

  async getRun(): Promise<Run> {
    const summary = this.model.get('summary') as Run | undefined;
    if (this.childRunId || !summary?.id) {
      return this.request<Run>('run');
    }
    const answered = this.request<Run>('run');
    // The late answer, if it ever comes, is dropped; a changed summary emits "run" again.
    answered.catch(() => undefined);
    return new Promise<Run>(resolve => {
      const timer = setTimeout(() => resolve(this.model.get('summary') as Run), RUN_TIMEOUT_MS);
      answered.then(run => { clearTimeout(timer); resolve(run); }, () => {
        clearTimeout(timer);
        resolve(this.model.get('summary') as Run);
      });
    });
  }
  async listMetrics(): Promise<MetricInfo[]> {
    return (await this.request<{ metrics: MetricInfo[] }>('metrics')).metrics;
  }
  getSeries(name: string, since: number, maxPoints?: number, until?: number):
  Promise<MetricSeries> {
    return this.request('series', { name, since, max_points: maxPoints ?? null,
      until: until ?? null });
  }
  async getChildren(): Promise<Run[]> {
    return (await this.request<RunPage>('children')).runs;
  }
  listArtifacts(prefix?: string): Promise<ArtifactList> {
    return this.request('artifacts', { prefix: prefix ?? null });
  }
  async getArtifact(path: string): Promise<ArtifactContent> {
    const data = await this.request<{ content_type: string; base64: string }>('artifact',
      { path });
    return { contentType: data.content_type, blob: decodeBase64(data.base64, data.content_type) };
  }
  getLogTail(path: string, offset: number): Promise<LogChunk> {
    return this.request('log_tail', { path, offset });
  }
  getSnapshot(): Promise<SnapshotManifest | null> {
    return this.request('snapshot');
  }
  async getSnapshotFile(path: string): Promise<ArtifactContent> {
    const data = await this.request<{ content_type: string; base64: string }>('snapshot_file',
      { path });
    return { contentType: data.content_type, blob: decodeBase64(data.base64, data.content_type) };
  }
  /** The children through the kernel: the same bodies as the run-values route. */
  childRuns(): RunSetSource {
    return {
      values: columns => this.request<RunValues>('child_values', { columns }),
      series: async (ids, names, maxPoints) => (await this.request<{ series: MetricSeries[] }>(
        'child_series', { run_ids: ids, names, max_points: maxPoints })).series,
      openRun: this.openRun
    };
  }
  cancelRun(): Promise<Run> {
    return this.request<Run>('cancel');
  }
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  labUrl(): string | null {
    const url = this.model.get('lab_url');
    return typeof url === 'string' && url ? url : null;
  }
}
