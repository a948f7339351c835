// Shapes of the data routes (jupyter_mlws/server/openapi.json: Datastore*, Dataset*).
import type { Run } from '../../common/types';

export interface Datastore {
  name: string;
  type: string;
  datastore_type: string;
  is_default: boolean;
  url?: string;
  container_name?: string;
  has_secret?: boolean;
}

export interface DatasetSummary {
  name: string;
  version: number;
  id: string | null;
  type: 'tabular' | 'file' | null;
  description: string;
  tags: Record<string, string | null>;
  created_time: number;
  files: number | null;
  bytes: number | null;
  has_profile: boolean;
}

export interface DatasetVersion extends DatasetSummary {
  definition: Record<string, unknown> | null;
  columns: string[][] | null;
  data_changed_time: number | null;
}

export interface Dataset extends DatasetVersion {
  versions: DatasetSummary[];
}

export interface DatasetPreview {
  kind: 'tabular' | 'file';
  offset: number;
  has_more?: boolean;
  total?: number;
  columns?: string[][];
  rows?: unknown[][];
  files?: { path: string; size: number; mtime: number | null }[];
}

export interface ColumnProfile {
  type: string;
  count: number;
  missing: number;
  min: unknown;
  max: unknown;
  mean: number | null;
  distinct: number | null;
  histogram: { edges: number[]; counts: number[] } | null;
}

export interface DatasetProfile {
  kind: 'tabular' | 'file';
  profile_version: number;
  computed_time: number;
  row_count?: number;
  columns?: Record<string, ColumnProfile>;
  file_count?: number;
  total_bytes?: number;
  extensions?: Record<string, number>;
}

export interface DatasetRuns {
  inputs: Run[];
  outputs: Run[];
}
