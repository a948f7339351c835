// Live change notifications for the studio. PollingLiveSource asks every 2 s while a run is
// active; WebSocketLiveSource subscribes to {base}/mlws/api/v1/live when the server has it.
// Both implement LiveSource, so the views never know which one they have.
import { URLExt } from '@jupyterlab/coreutils';
import type { ChangeKind, ChangeListener, LiveSource } from '../common/source';
import { isTerminal } from '../common/types';
import { API_PATH, type MlwsApi } from './api';

export const POLL_MS = 2000;
const ALL: ChangeKind[] = ['run', 'metrics', 'artifacts', 'logs', 'children'];

export class PollingLiveSource implements LiveSource {
  readonly kind = 'polling';
  private timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private api: MlwsApi, private workspaceId: string,
    private intervalMs = POLL_MS) {}

  subscribe(runId: string, listener: ChangeListener): () => void {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const tick = async (): Promise<void> => {
      if (stopped) {
        return;
      }
      let terminal = false;
      try {
        const run = await this.api.getRun(this.workspaceId, runId);
        terminal = isTerminal(run.status);
        // Views read deltas (since cursors, log offsets), so "everything may have changed"
        // costs only the new data.
        listener(ALL);
      } catch {
        // A transient failure (server restarting): try again next tick.
      }
      if (!stopped && !terminal) {
        timer = setTimeout(tick, this.intervalMs);
        this.timers.add(timer);
      }
    };
    timer = setTimeout(tick, this.intervalMs);
    this.timers.add(timer);
    return () => {
      stopped = true;
      if (timer !== null) {
        clearTimeout(timer);
        this.timers.delete(timer);
      }
    };
  }

  dispose(): void {
    this.timers.forEach(t => clearTimeout(t));
    this.timers.clear();
  }
}

/** The server's messages (docs/internals.md, "Live channel"); only the fields used here. */
interface LiveMessage {
  type: 'run' | 'metric' | 'files' | 'log' | 'subscribed' | 'unsubscribed' | 'error';
  sub?: string | null;
  run?: { id: string };
  run_id?: string;
  message?: string;
}

const KIND_OF: Record<string, ChangeKind | undefined> = {
  metric: 'metrics', files: 'artifacts', log: 'logs'
};
/** Messages of one tick arrive together: coalesce them into one notification. */
const COALESCE_MS = 50;

interface RunSubscription {
  subId: string;
  runId: string;
  listeners: Set<ChangeListener>;
  pending: Set<ChangeKind>;
  timer: ReturnType<typeof setTimeout> | null;
  stopPolling: (() => void) | null;
}

/**
 * The server's WebSocket live channel ({base}/mlws/api/v1/live): one socket per workspace, one
 * subscription per open run (with its children). Messages are turned into change
 * notifications; the views then read deltas over REST with their own cursors, so the
 * subscription starts from the current metric counts (seq is 1, 2, ... per metric) and the
 * socket never replays a whole series. While the socket is down, runs fall back to polling.
 */
export class WebSocketLiveSource implements LiveSource {
  readonly kind = 'websocket';
  private socket: WebSocket | null = null;
  private subs = new Map<string, RunSubscription>();
  private fallback: PollingLiveSource;
  private disposed = false;
  private nextId = 1;
  private retryMs = 1000;

  constructor(private api: MlwsApi, private workspaceId: string) {
    this.fallback = new PollingLiveSource(api, workspaceId);
    this.connect();
  }

  subscribe(runId: string, listener: ChangeListener): () => void {
    let sub = this.subs.get(runId);
    if (!sub) {
      sub = { subId: `run-${this.nextId++}`, runId, listeners: new Set(), pending: new Set(),
        timer: null, stopPolling: null };
      this.subs.set(runId, sub);
      if (this.isOpen()) {
        void this.sendSubscribe(sub);
      } else {
        this.pollInstead(sub);
      }
    }
    sub.listeners.add(listener);
    const theSub = sub;
    return () => {
      theSub.listeners.delete(listener);
      if (theSub.listeners.size) {
        return;
      }
      this.subs.delete(runId);
      theSub.stopPolling?.();
      if (theSub.timer) {
        clearTimeout(theSub.timer);
      }
      if (this.isOpen()) {
        this.socket!.send(JSON.stringify({ op: 'unsubscribe', id: theSub.subId }));
      }
    };
  }

  dispose(): void {
    this.disposed = true;
    this.socket?.close();
    this.fallback.dispose();
  }

  private isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  private pollInstead(sub: RunSubscription): void {
    if (!sub.stopPolling) {
      sub.stopPolling = this.fallback.subscribe(sub.runId, what => this.deliver(sub, what));
    }
  }

  private async sendSubscribe(sub: RunSubscription): Promise<void> {
    let since: Record<string, number> = {};
    try {
      const metrics = await this.api.listMetrics(this.workspaceId, sub.runId);
      since = Object.fromEntries(metrics.map(m => [m.name, m.count]));
    } catch {
      // Unknown run: the server answers the subscription with an error message.
    }
    if (this.isOpen() && this.subs.get(sub.runId) === sub) {
      this.socket!.send(JSON.stringify({
        op: 'subscribe', id: sub.subId, workspace_id: this.workspaceId, run_id: sub.runId,
        include_children: true, since
      }));
    }
  }

  private deliver(sub: RunSubscription, what: ChangeKind[]): void {
    what.forEach(w => sub.pending.add(w));
    if (sub.timer) {
      return;
    }
    sub.timer = setTimeout(() => {
      sub.timer = null;
      const kinds = [...sub.pending];
      sub.pending.clear();
      sub.listeners.forEach(l => l(kinds));
    }, COALESCE_MS);
  }

  private handle(msg: LiveMessage): void {
    const sub = [...this.subs.values()].find(s => s.subId === msg.sub);
    if (!sub) {
      return;
    }
    if (msg.type === 'run') {
      // A change of the run itself, or of one of its children.
      this.deliver(sub, msg.run && msg.run.id !== sub.runId ? ['children'] : ['run']);
    } else if (msg.type === 'error') {
      console.warn(`mlws live channel: ${msg.message ?? 'error'}`);
    } else {
      const kind = KIND_OF[msg.type];
      if (kind) {
        this.deliver(sub, [kind]);
      }
    }
  }

  private connect(): void {
    const settings = this.api.settings;
    let url = URLExt.join(settings.wsUrl, API_PATH, 'live');
    if (settings.token) {
      url += `?token=${encodeURIComponent(settings.token)}`;
    }
    const socket = new settings.WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 1000;
      for (const sub of this.subs.values()) {
        sub.stopPolling?.();
        sub.stopPolling = null;
        void this.sendSubscribe(sub);
      }
    };
    socket.onmessage = (ev: MessageEvent) => {
      try {
        this.handle(JSON.parse(String(ev.data)) as LiveMessage);
      } catch {
        // Not JSON: ignore.
      }
    };
    socket.onclose = () => {
      if (this.disposed) {
        return;
      }
      this.socket = null;
      for (const sub of this.subs.values()) {
        this.pollInstead(sub);
      }
      // Reconnect with backoff; subscriptions are re-sent on open.
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 30000);
    };
  }
}
