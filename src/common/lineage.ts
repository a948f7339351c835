// The datasets a run read and wrote, from its lineage properties (written by the SDK and the
// executor; see jupyter_mlws/store/data/registry.py): mlws.dataset.in.<name>.v<version> and
// mlws.dataset.out.<name>.v<version> (mlws.dataset.in@<id> for a saved, unregistered one).
import { h, table } from './dom';

export interface LineageItem {
  name: string | null;
  version: number | null;
  id: string | null;
  saved: boolean;
  inputs?: { name: string | null; mode: string }[];
  output?: string;
}

const PREFIXES: [string, 'inputs' | 'outputs'][] = [
  ['mlws.dataset.in', 'inputs'], ['mlws.dataset.out', 'outputs']];

export function parseLineage(properties: Record<string, string>):
{ inputs: LineageItem[]; outputs: LineageItem[] } {
  const result = { inputs: [] as LineageItem[], outputs: [] as LineageItem[] };
  for (const key of Object.keys(properties).sort()) {
    for (const [prefix, bucket] of PREFIXES) {
      if (!key.startsWith(prefix) || key.length === prefix.length) {
        continue;
      }
      const rest = key.slice(prefix.length);
      let extra: Record<string, unknown> = {};
      try {
        const parsed = JSON.parse(properties[key]);
        extra = parsed && typeof parsed === 'object' ? parsed : {};
      } catch {
        extra = {};
      }
      let item: LineageItem;
      if (rest.startsWith('@')) {
        item = { name: null, version: null, id: rest.slice(1), saved: true };
      } else if (rest.startsWith('.')) {
        const cut = rest.lastIndexOf('.v');
        const version = rest.slice(cut + 2);
        if (cut < 1 || !/^\d+$/.test(version)) {
          continue;
        }
        item = { name: rest.slice(1, cut), version: Number(version), id: null, saved: false };
      } else {
        continue;
      }
      result[bucket].push({ ...item, ...extra } as LineageItem);
    }
  }
  return result;
}

function datasetLabel(item: LineageItem): string {
  return item.saved ? `unregistered (${(item.id ?? '').slice(0, 8)})`
    : `${item.name} (version ${item.version})`;
}

/** The Details tab's "Datasets" section: inputs with their input name and mode, outputs. */
export function datasetsSection(properties: Record<string, string>,
  open?: (name: string, version: number) => void): HTMLElement {
  const { inputs, outputs } = parseLineage(properties);
  const cell = (item: LineageItem): string | Node => (open && !item.saved && item.name
    ? h('a', { href: '#', className: 'mlws-link', 'data-dataset': item.name,
      onclick: (ev: Event) => {
        ev.preventDefault();
        open(item.name!, item.version!);
      } }, datasetLabel(item))
    : h('span', { 'data-dataset': item.name ?? item.id ?? '' }, datasetLabel(item)));
  const rows: (string | Node)[][] = [];
  for (const item of inputs) {
    for (const use of item.inputs?.length ? item.inputs : [{ name: null, mode: 'direct' }]) {
      rows.push(['Input', cell(item), use.name ?? '', use.mode]);
    }
  }
  for (const item of outputs) {
    rows.push(['Output', cell(item), item.output ?? '', 'upload']);
  }
  return h('section', { className: 'mlws-section mlws-run-datasets' }, h('h3', null, 'Datasets'),
    rows.length ? table(['', 'Dataset', 'Name in the run', 'Mode'], rows)
      : h('p', { className: 'mlws-muted' }, 'No input or output datasets.'));
}
