// Snapshot: the source files captured when the run started, read-only, with downloads.
import { clear, emptyState, errorMessage, formatBytes, h, saveBlob } from '../dom';
import { renderPreview } from '../preview';
import type { ChangeKind, RunDataSource } from '../source';
import type { Run } from '../types';
import type { RunTab } from './tab';

export class SnapshotTab implements RunTab {
  readonly id = 'snapshot';
  readonly label = 'Snapshot';
  readonly node = h('div', { className: 'mlws-tab-snapshot' });
  private preview = h('div', { className: 'mlws-preview' });
  private urls: string[] = [];

  constructor(private source: RunDataSource) {}

  async load(run: Run): Promise<void> {
    clear(this.node);
    let manifest = null;
    try {
      manifest = await this.source.getSnapshot();
    } catch (err) {
      this.node.append(emptyState(`The snapshot could not be read: ${errorMessage(err)}`));
      return;
    }
    if (!manifest) {
      this.node.append(emptyState(run.snapshot_id
        ? `Snapshot ${run.snapshot_id} is not available.`
        : 'This run has no snapshot.',
        'Runs submitted with ScriptRunConfig (or run.take_snapshot(folder)) capture their ' +
        'source files here.'));
      return;
    }
    const paths = Object.keys(manifest.files).sort();
    const rows = paths.map(path => {
      const size = manifest!.files[path].size;
      return h('tr', { 'data-path': path },
        h('td', null, h('button', {
          className: 'mlws-tree-name', type: 'button', onclick: () => void this.show(path)
        }, path)),
        h('td', null, size === undefined || size === null ? '' : formatBytes(size)),
        h('td', null, h('button', {
          className: 'mlws-button mlws-small', type: 'button', 'aria-label': `Download ${path}`,
          onclick: async () => {
            const content = await this.source.getSnapshotFile(path);
            saveBlob(content.blob, path.split('/').pop() || path);
          }
        }, 'Download')));
    });
    this.node.append(
      h('p', { className: 'mlws-muted' }, `Snapshot ${manifest.id}: ${paths.length} files`),
      h('div', { className: 'mlws-outputs-split' },
        h('table', { className: 'mlws-table' }, h('tbody', null, rows)), this.preview));
  }

  async update(_run: Run, _what: ChangeKind[]): Promise<void> {
    // A snapshot never changes once taken.
  }

  dispose(): void {
    this.urls.forEach(u => URL.revokeObjectURL(u));
  }

  private async show(path: string): Promise<void> {
    clear(this.preview);
    try {
      const content = await this.source.getSnapshotFile(path);
      this.preview.append(h('h4', null, path),
        await renderPreview(path, content.contentType, content.blob, u => this.urls.push(u)));
    } catch (err) {
      this.preview.append(h('p', { className: 'mlws-error' }, errorMessage(err)));
    }
  }
}
