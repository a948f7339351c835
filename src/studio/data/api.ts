// REST calls of the data rows of the operation table (jupyter_mlws/api/datastores.py,
// datasets.py), on the studio's MlwsApi: each names its operation; shapes from api.gen.ts.
import type { MlwsApi } from '../../rest/api';
import type {
  Dataset, DatasetFromFiles, DatasetPreview, DatasetProfile, DatasetRuns, DatasetSummary,
  DatasetVersion, Datastore
} from './types';

type VersionKey = { workspace_id: string; dataset_name: string; version: number };
const key = (ws: string, name: string, v: number): VersionKey =>
  ({ workspace_id: ws, dataset_name: name, version: v });

export async function listDatastores(api: MlwsApi, ws: string): Promise<Datastore[]> {
  return (await api.call('listDatastores', { workspace_id: ws })).datastores;
}

export async function listDatasets(api: MlwsApi, ws: string): Promise<DatasetSummary[]> {
  return (await api.call('listDatasets', { workspace_id: ws })).datasets;
}

export function getDataset(api: MlwsApi, ws: string, name: string): Promise<Dataset> {
  return api.call('getDataset', { workspace_id: ws, dataset_name: name });
}

export function getVersion(api: MlwsApi, ws: string, name: string, v: number):
Promise<DatasetVersion> {
  return api.call('getDatasetVersion', key(ws, name, v));
}

export function getPreview(api: MlwsApi, ws: string, name: string, v: number, offset: number,
  limit: number): Promise<DatasetPreview> {
  return api.call('previewDatasetVersion', key(ws, name, v), { offset, limit });
}

/** The stored profile, or null when it was not computed yet. */
export async function getProfile(api: MlwsApi, ws: string, name: string, v: number):
Promise<DatasetProfile | null> {
  try {
    return await api.call('getDatasetProfile', key(ws, name, v));
  } catch (err) {
    if ((err as { status?: number }).status === 404) {
      return null;
    }
    throw err;
  }
}

export function computeProfile(api: MlwsApi, ws: string, name: string, v: number):
Promise<DatasetProfile> {
  return api.call('computeDatasetProfile', key(ws, name, v));
}

export function getRuns(api: MlwsApi, ws: string, name: string, v: number): Promise<DatasetRuns> {
  return api.call('listDatasetRuns', key(ws, name, v));
}

export function registerFromFiles(api: MlwsApi, ws: string, body: DatasetFromFiles):
Promise<DatasetVersion> {
  return api.call('registerDatasetFromFiles', { workspace_id: ws }, undefined, body);
}
