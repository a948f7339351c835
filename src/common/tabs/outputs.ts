// Outputs + Logs: the artifact tree with previews and downloads, and the run's logs tailed live.
import { clear, emptyState, errorMessage, formatBytes, h, saveBlob } from '../dom';
import { renderPreview } from '../preview';
import type { ChangeKind, RunDataSource } from '../source';
import type { ArtifactNode, Run } from '../types';
import type { RunTab } from './tab';

function isLog(path: string): boolean {
  return /^(logs|user_logs|azureml-logs)\//.test(path) || /\.log$/.test(path);
}

export class OutputsTab implements RunTab {
  readonly id = 'outputs';
  readonly label = 'Outputs + Logs';
  readonly node = h('div', { className: 'mlws-tab-outputs' });
  private tree = h('div', { className: 'mlws-tree', role: 'tree', 'aria-label': 'Run files' });
  private preview = h('div', { className: 'mlws-preview', 'aria-live': 'polite' });
  private logSelect = h('select', { className: 'mlws-input', 'aria-label': 'Log file' });
  private logText = h('pre', { className: 'mlws-pre mlws-log' });
  private logOffset = 0;
  private logPath = '';
  private urls: string[] = [];
  private fingerprint = '';
  // Folders start open; the ones the user closes stay closed across refreshes.
  private collapsed = new Set<string>();

  constructor(private source: RunDataSource) {
    this.logSelect.addEventListener('change', () => void this.selectLog(this.logSelect.value));
  }

  async load(_run: Run): Promise<void> {
    clear(this.node);
    this.node.append(
      h('div', { className: 'mlws-outputs-split' },
        h('div', { className: 'mlws-outputs-files' }, h('h3', null, 'Files'), this.tree),
        this.preview),
      h('section', { className: 'mlws-section' }, h('h3', null, 'Logs'), this.logSelect,
        this.logText));
    await this.refreshFiles(true);
  }

  async update(_run: Run, what: ChangeKind[]): Promise<void> {
    if (what.includes('artifacts') || what.includes('logs')) {
      await this.refreshFiles(false);
    }
    if (what.includes('logs') || what.includes('artifacts')) {
      await this.tail();
    }
  }

  dispose(): void {
    this.urls.forEach(u => URL.revokeObjectURL(u));
  }

  private async refreshFiles(first: boolean): Promise<void> {
    const list = await this.source.listArtifacts();
    // Sizes too: a log that grows keeps its count but not its size.
    const fingerprint = list.artifacts.map(a => `${a.path}\u0000${a.size}`).join('\n');
    if (!first && fingerprint === this.fingerprint) {
      return;
    }
    this.fingerprint = fingerprint;
    clear(this.tree);
    if (!list.artifacts.length) {
      this.tree.append(emptyState('No files yet.',
        'Files written to ./outputs are uploaded when the run ends; run.upload_file() adds one.'));
    } else {
      this.tree.append(this.renderNode(list.tree, 0));
    }
    const logs = list.artifacts.map(a => a.path).filter(isLog);
    const current = this.logPath;
    clear(this.logSelect);
    this.logSelect.append(...logs.map(p => h('option', { value: p }, p)));
    this.logSelect.hidden = logs.length === 0;
    if (!logs.length) {
      this.logText.textContent = 'No logs for this run.';
      return;
    }
    const pick = logs.includes(current) ? current : logs[0];
    this.logSelect.value = pick;
    if (pick !== current) {
      await this.selectLog(pick);
    }
  }

  private renderNode(node: ArtifactNode, depth: number): HTMLElement {
    if (node.type === 'file') {
      const actions: HTMLElement[] = [h('button', {
        className: 'mlws-button mlws-small', type: 'button', 'aria-label': `Download ${node.path}`,
        onclick: () => void this.download(node.path, false)
      }, 'Download')];
      return h('div', { className: 'mlws-tree-file', role: 'treeitem', 'data-path': node.path },
        h('button', {
          className: 'mlws-tree-name', type: 'button',
          onclick: () => void this.show(node.path, node.content_type ?? '')
        }, node.name),
        h('span', { className: 'mlws-muted' }, formatBytes(node.size)), ...actions);
    }
    const open = !this.collapsed.has(node.path) || depth === 0;
    const children = h('div', { className: 'mlws-tree-children', role: 'group' },
      (node.children ?? []).map(c => this.renderNode(c, depth + 1)));
    children.hidden = !open;
    if (depth === 0) {
      return children;
    }
    const toggle = h('button', {
      className: 'mlws-tree-name mlws-tree-dir', type: 'button', 'aria-expanded': String(open),
      onclick: () => {
        children.hidden = !children.hidden;
        toggle.setAttribute('aria-expanded', String(!children.hidden));
        if (children.hidden) {
          this.collapsed.add(node.path);
        } else {
          this.collapsed.delete(node.path);
        }
      }
    }, `${node.name}/`);
    const zip = this.source.downloadUrl
      ? h('button', {
        className: 'mlws-button mlws-small', type: 'button',
        'aria-label': `Download ${node.path} as zip`,
        onclick: () => void this.download(node.path, true)
      }, 'Zip')
      : null;
    return h('div', { className: 'mlws-tree-dir-node', role: 'treeitem', 'data-path': node.path },
      h('div', { className: 'mlws-tree-row' }, toggle,
        h('span', { className: 'mlws-muted' }, formatBytes(node.size)), zip),
      children);
  }

  private async show(path: string, contentType: string): Promise<void> {
    clear(this.preview);
    this.preview.append(h('p', { className: 'mlws-muted' }, `Loading ${path}...`));
    try {
      const content = await this.source.getArtifact(path);
      const body = await renderPreview(path, content.contentType || contentType, content.blob,
        url => this.urls.push(url));
      clear(this.preview);
      this.preview.append(h('h4', null, path), body);
    } catch (err) {
      clear(this.preview);
      this.preview.append(h('p', { className: 'mlws-error' }, errorMessage(err)));
    }
  }

  private async download(path: string, zip: boolean): Promise<void> {
    const name = (path.split('/').pop() || 'outputs') + (zip ? '.zip' : '');
    if (this.source.downloadUrl) {
      const a = h('a', { href: this.source.downloadUrl(path, zip), download: name });
      document.body.appendChild(a);
      a.click();
      a.remove();
      return;
    }
    const content = await this.source.getArtifact(path);
    saveBlob(content.blob, name);
  }

  private async selectLog(path: string): Promise<void> {
    this.logPath = path;
    this.logOffset = 0;
    this.logText.textContent = '';
    await this.tail();
  }

  /** Append what was written since the last read. */
  private async tail(): Promise<void> {
    if (!this.logPath) {
      return;
    }
    const path = this.logPath;
    const chunk = await this.source.getLogTail(path, this.logOffset);
    if (path !== this.logPath) {
      return;
    }
    if (chunk.data) {
      const atBottom = this.logText.scrollTop + this.logText.clientHeight >=
        this.logText.scrollHeight - 8;
      this.logText.append(document.createTextNode(chunk.data));
      if (atBottom) {
        this.logText.scrollTop = this.logText.scrollHeight;
      }
    }
    this.logOffset = chunk.offset;
  }
}
