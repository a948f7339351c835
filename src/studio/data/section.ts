// The panel's "Data" section: datastores (type, default) and registered datasets (latest
// version, kind, size); a dataset opens its view. Shown when the server has the data routes.
import { emptyState, errorMessage, h, table } from '../../common/dom';
import type { Studio } from '../studio';
import { listDatasets, listDatastores } from './api';
import { formatBytes, openDataset } from './datasetView';

export const DATASETS_ROUTE = '/workspaces/{workspace_id}/datasets';

export async function dataSection(studio: Studio, ws: string, onRefresh: () => void):
Promise<HTMLElement> {
  const section = h('section', { className: 'mlws-section mlws-data-section',
    'aria-label': 'Data' }, h('div', { className: 'mlws-section-head' }, h('h3', null, 'Data'),
    h('button', { className: 'mlws-button mlws-small', type: 'button',
      'aria-label': 'Refresh data', title: 'Refresh data', onclick: onRefresh }, 'Refresh')));
  const [stores, datasets] = await Promise.all([
    listDatastores(studio.api, ws).catch((err: unknown) => new Error(errorMessage(err))),
    listDatasets(studio.api, ws).catch((err: unknown) => new Error(errorMessage(err)))]);
  section.append(h('h4', { className: 'mlws-subhead' }, 'Datasets'));
  if (datasets instanceof Error) {
    section.append(emptyState(`Datasets could not be read: ${datasets.message}`));
  } else if (!datasets.length) {
    section.append(emptyState('No registered datasets.',
      'Dataset.Tabular.from_delimited_files((ws.get_default_datastore(), "data/*.csv"))' +
      '.register(ws, "my-data"), or "Register Dataset…" on files in the file browser.'));
  } else {
    section.append(table(['Name', 'Version', 'Kind', 'Size'], datasets.map(d => [
      h('button', { className: 'mlws-link-button mlws-dataset-open', type: 'button',
        'data-dataset': d.name, title: `Open dataset ${d.name}`,
        onclick: () => openDataset(studio, ws, d.name) }, d.name),
      String(d.version), d.type ?? '',
      `${d.files ?? '?'} files, ${formatBytes(d.bytes)}`]),
    'mlws-table mlws-compact mlws-dataset-table'));
  }
  section.append(h('h4', { className: 'mlws-subhead' }, 'Datastores'));
  if (stores instanceof Error) {
    section.append(emptyState(`Datastores could not be read: ${stores.message}`));
  } else {
    section.append(table(['Name', 'Type', ''], stores.map(s => [
      h('span', { 'data-datastore': s.name }, s.name), s.datastore_type,
      s.is_default ? h('span', { className: 'mlws-muted' }, 'default') : '']),
    'mlws-table mlws-compact mlws-datastore-table'));
  }
  return section;
}
