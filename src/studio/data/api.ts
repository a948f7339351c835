// REST calls of the data routes, on the studio's MlwsApi (auth, XSRF, errors as ApiError).
import type { MlwsApi } from '../../rest/api';
import type {
  Dataset, DatasetPreview, DatasetProfile, DatasetRuns, DatasetSummary, DatasetVersion, Datastore
} from './types';

const enc = encodeURIComponent;
const base = (ws: string): string => `workspaces/${enc(ws)}`;
const version = (ws: string, name: string, v: number): string =>
  `${base(ws)}/datasets/${enc(name)}/versions/${v}`;

export async function listDatastores(api: MlwsApi, ws: string): Promise<Datastore[]> {
  return (await api.json<{ datastores: Datastore[] }>(`${base(ws)}/datastores`)).datastores;
}

export async function listDatasets(api: MlwsApi, ws: string): Promise<DatasetSummary[]> {
  return (await api.json<{ datasets: DatasetSummary[] }>(`${base(ws)}/datasets`)).datasets;
}

export function getDataset(api: MlwsApi, ws: string, name: string): Promise<Dataset> {
  return api.json(`${base(ws)}/datasets/${enc(name)}`);
}

export function getVersion(api: MlwsApi, ws: string, name: string, v: number):
Promise<DatasetVersion> {
  return api.json(version(ws, name, v));
}

export function getPreview(api: MlwsApi, ws: string, name: string, v: number, offset: number,
  limit: number): Promise<DatasetPreview> {
  return api.json(`${version(ws, name, v)}/preview`, {}, { offset, limit });
}

/** The stored profile, or null when it was not computed yet. */
export async function getProfile(api: MlwsApi, ws: string, name: string, v: number):
Promise<DatasetProfile | null> {
  try {
    return await api.json<DatasetProfile>(`${version(ws, name, v)}/profile`);
  } catch (err) {
    if ((err as { status?: number }).status === 404) {
      return null;
    }
    throw err;
  }
}

export function computeProfile(api: MlwsApi, ws: string, name: string, v: number):
Promise<DatasetProfile> {
  return api.json(`${version(ws, name, v)}/profile`, { method: 'POST' });
}

export function getRuns(api: MlwsApi, ws: string, name: string, v: number): Promise<DatasetRuns> {
  return api.json(`${version(ws, name, v)}/runs`);
}

export function registerFromFiles(api: MlwsApi, ws: string, body: {
  name: string; type: 'file' | 'tabular'; paths: string[]; format?: string;
  description?: string;
}): Promise<DatasetVersion> {
  return api.json(`${base(ws)}/datasets`, {
    method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' }
  });
}
