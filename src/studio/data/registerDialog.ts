// "Register Dataset…" on the file browser's selection (files and folders): a dialog for the
// name, the kind (File, or Tabular with its format) and a description; POSTs the selected
// paths (relative to the server's root) and opens the new dataset's view.
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { errorMessage, h } from '../../common/dom';
import type { Studio } from '../studio';
import { registerFromFiles } from './api';
import { openDataset } from './datasetView';
import type { DatasetFromFiles } from './types';

type Format = NonNullable<DatasetFromFiles['format']>;
type Kind = 'file' | Format;

interface Choices {
  name: string;
  kind: Kind;
  description: string;
}

const KINDS: [Kind, string][] = [['file', 'File dataset (any files)'],
  ['delimited', 'Tabular: delimited text (CSV)'], ['parquet', 'Tabular: Parquet'],
  ['json_lines', 'Tabular: JSON lines']];

class RegisterBody extends Widget implements Dialog.IBodyWidget<Choices> {
  constructor(paths: string[], previous: Choices, error: string) {
    super({ node: h('form', { className: 'mlws-form mlws-register-form' }) });
    this.node.append(
      h('p', { className: 'mlws-muted' }, `${paths.length} selected: ${paths.slice(0, 5)
        .join(', ')}${paths.length > 5 ? ', …' : ''}`),
      h('label', null, 'Name', h('input', { className: 'jp-mod-styled mlws-input', name: 'name',
        'aria-label': 'Dataset name', value: previous.name,
        placeholder: 'letters, digits, _, - and .' })),
      h('label', null, 'Kind', h('select', { className: 'jp-mod-styled mlws-input',
        name: 'kind', 'aria-label': 'Dataset kind' }, KINDS.map(([value, label]) =>
        h('option', { value, selected: value === previous.kind }, label)))),
      h('label', null, 'Description', h('input', { className: 'jp-mod-styled mlws-input',
        name: 'description', 'aria-label': 'Description', value: previous.description })),
      error ? h('p', { className: 'mlws-error mlws-register-error', role: 'alert' }, error) : '');
  }

  getValue(): Choices {
    const field = (name: string): string =>
      (this.node.querySelector(`[name="${name}"]`) as HTMLInputElement).value.trim();
    const kind = KINDS.find(([value]) => value === field('kind'))?.[0] ?? 'file';
    return { name: field('name'), kind, description: field('description') };
  }
}

interface FileBrowserLike {
  selectedItems(): Iterable<{ path: string; type: string }>;
}

/** The file browser's selected files and folders (paths relative to the server root). */
export function selectedPaths(app: JupyterFrontEnd): string[] {
  for (const widget of app.shell.widgets('left')) {
    const browser = widget as unknown as Partial<FileBrowserLike>;
    if (widget.id === 'filebrowser' && typeof browser.selectedItems === 'function') {
      return [...browser.selectedItems()].map(i => i.path.replace(/^[^/:]+:/, ''));
    }
  }
  return [];
}

export async function registerDatasetFlow(studio: Studio, paths: string[]): Promise<void> {
  const ws = studio.workspaceId;
  if (!ws) {
    studio.notifyError('Registering a dataset', new Error('select or create a workspace first'));
    return;
  }
  const first = (paths[0] ?? 'data').split('/').pop() ?? 'data';
  let choices: Choices = { name: first.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '_'),
    kind: /\.parquet$/.test(first) ? 'parquet' : /\.(csv|tsv)$/.test(first) ? 'delimited'
      : 'file', description: '' };
  let error = '';
  for (;;) {
    const result = await showDialog({
      title: 'Register dataset', body: new RegisterBody(paths, choices, error),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Register' })],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || !result.value) {
      return;
    }
    choices = result.value;
    try {
      const made = await registerFromFiles(studio.api, ws, {
        name: choices.name, paths, description: choices.description || undefined,
        type: choices.kind === 'file' ? 'file' : 'tabular',
        format: choices.kind === 'file' ? undefined : choices.kind });
      studio.dataChanged.emit();
      openDataset(studio, ws, made.name);
      return;
    } catch (err) {
      error = errorMessage(err);
    }
  }
}
