// Shapes of the data rows: the generated types of the operation table (api.gen.ts, from
// jupyter_mlws/api/datastores.py and datasets.py), under the names the data views use.
export type {
  ColumnProfile, Dataset, DatasetFromFiles, DatasetPreview, DatasetProfile, DatasetRuns,
  DatasetSummary, DatasetVersion, Datastore
} from '../../common/api.gen';
