// The widget's REST path: when the page's Jupyter server has the jupyter_mlws extension (the
// widget runs inside JupyterLab or Notebook 7, same origin), read the run over REST and follow it
// on the live channel, as the studio does: the kernel may be busy running the very cell that logs
// the run, and comm requests would wait until it ends. Base URL, token and XSRF cookie come from
// the page's jupyter-config-data through ServerConnection, like every JupyterLab front end.
import type { LiveSource } from '../common/source';
import { MlwsApi } from '../rest/api';
import { PollingLiveSource, WebSocketLiveSource } from '../rest/live';
import { RestRunSource } from '../rest/runSource';

/** A probe that hangs (no server behind the page's origin) must not delay the comm fallback. */
const PROBE_TIMEOUT_MS = 4000;

export interface RestConnection {
  api: MlwsApi;
  live: LiveSource;
  source(runId: string, navigate: (runId: string) => void): RestRunSource;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    promise.then(v => { clearTimeout(timer); resolve(v); },
      (e: unknown) => { clearTimeout(timer); reject(e); });
  });
}

// One connection (one live socket) per workspace for every widget of the page.
const connections = new Map<string, Promise<RestConnection | null>>();

async function connect(workspaceId: string, runId: string): Promise<RestConnection | null> {
  // No Jupyter page config (VS Code, Colab, nbviewer): no same-origin server to ask.
  if (typeof document === 'undefined' || !document.getElementById('jupyter-config-data')) {
    return null;
  }
  try {
    const api = new MlwsApi();
    // The run must be in this server's store (a kernel may log to another store).
    const [, spec] = await withTimeout(Promise.all([
      api.getRun(workspaceId, runId),
      api.fetch('openapi.json').then(r => r.json() as Promise<{ paths?: object }>)
    ]), PROBE_TIMEOUT_MS);
    const live = spec?.paths && '/live' in spec.paths
      ? new WebSocketLiveSource(api, workspaceId) : new PollingLiveSource(api, workspaceId);
    return {
      api, live,
      source: (id, navigate) => new RestRunSource(api, workspaceId, id, live, navigate)
    };
  } catch {
    return null;
  }
}

/** The REST connection for the widget's run, or null to use the comm. */
export function restConnection(workspaceId: string, runId: string):
Promise<RestConnection | null> {
  if (!workspaceId || !runId) {
    return Promise.resolve(null);
  }
  // A workspace's runs share one store, so one probed run stands for the others.
  const key = workspaceId;
  let found = connections.get(key);
  if (!found) {
    found = connect(workspaceId, runId);
    connections.set(key, found);
    // A failed probe is retried by the next widget (the server may have been restarting).
    void found.then(c => {
      if (!c) {
        connections.delete(key);
      }
    });
  }
  return found;
}
