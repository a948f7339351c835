// "Submit script run" on a .py file of the file browser: a dialog for the experiment, compute
// target, environment and arguments; POSTs to the scriptruns route with the file's folder as
// source_directory and opens the new run's view (its log then tails live).
import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Widget } from '@lumino/widgets';
import { errorMessage, h } from '../common/dom';
import type { ComputeTarget, EnvironmentAsset, ScriptRunSubmit } from '../common/types';
import type { Studio } from './studio';

export interface SubmitChoices {
  experiment: string;
  compute: string;
  environment: string;
  arguments: string;
}

/** Split an argument line like a shell does for the simple cases: spaces, '…' and "…". */
export function splitArguments(line: string): string[] {
  const out: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = pattern.exec(line); m; m = pattern.exec(line)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]));
  }
  return out;
}

/** "dir/sub/train.py" -> {folder: "dir/sub", script: "train.py"} (folder "." at the root). */
export function splitScriptPath(path: string): { folder: string; script: string } {
  // A contents path may carry a drive prefix ("Drive:dir/x.py"); the server wants a plain path.
  const plain = path.replace(/^[^/:]+:/, '');
  const slash = plain.lastIndexOf('/');
  return slash < 0 ? { folder: '.', script: plain }
    : { folder: plain.slice(0, slash) || '.', script: plain.slice(slash + 1) };
}

class SubmitBody extends Widget implements Dialog.IBodyWidget<SubmitChoices> {
  constructor(script: string, experiments: string[], computes: ComputeTarget[],
    environments: EnvironmentAsset[], previous: SubmitChoices, error: string) {
    super({ node: h('form', { className: 'mlws-form mlws-submit-form' }) });
    const listId = `mlws-exp-options-${Math.random().toString(36).slice(2)}`;
    const option = (value: string, label: string, selected: boolean): HTMLOptionElement =>
      h('option', { value, selected }, label);
    this.node.append(
      h('p', { className: 'mlws-muted' }, `Script: ${script}`),
      h('label', null, 'Experiment',
        h('input', { className: 'jp-mod-styled mlws-input', name: 'experiment',
          'aria-label': 'Experiment', value: previous.experiment, list: listId,
          placeholder: 'an existing experiment or a new name' }),
        h('datalist', { id: listId }, experiments.map(e => h('option', { value: e })))),
      h('label', null, 'Compute target',
        h('select', { className: 'jp-mod-styled mlws-input', name: 'compute',
          'aria-label': 'Compute target' },
        computes.map(c => option(c.name, `${c.name} (${c.type})`, c.name === previous.compute)))),
      h('label', null, 'Environment',
        h('select', { className: 'jp-mod-styled mlws-input', name: 'environment',
          'aria-label': 'Environment' },
        option('', 'none (the server\'s Python)', !previous.environment),
        environments.map(e => option(`${e.name}:${e.version}`, `${e.name} (version ${e.version})`,
          previous.environment === `${e.name}:${e.version}`)))),
      h('label', null, 'Arguments',
        h('input', { className: 'jp-mod-styled mlws-input', name: 'arguments',
          'aria-label': 'Arguments', value: previous.arguments,
          placeholder: '--epochs 3 --lr 0.01' })),
      error ? h('p', { className: 'mlws-error mlws-submit-error', role: 'alert' }, error) : '');
  }

  getValue(): SubmitChoices {
    const field = (name: string): string =>
      (this.node.querySelector(`[name="${name}"]`) as HTMLInputElement).value.trim();
    return { experiment: field('experiment'), compute: field('compute'),
      environment: field('environment'), arguments: field('arguments') };
  }
}

function request(choices: SubmitChoices, path: string): ScriptRunSubmit {
  const { folder, script } = splitScriptPath(path);
  const body: ScriptRunSubmit = { experiment: choices.experiment, source_directory: folder,
    script, arguments: splitArguments(choices.arguments), compute_target: choices.compute };
  if (choices.environment) {
    const colon = choices.environment.lastIndexOf(':');
    body.environment = { name: choices.environment.slice(0, colon),
      version: choices.environment.slice(colon + 1) };
  }
  return body;
}

/** Ask, submit, open the run; a rejected submission re-opens the dialog with the error. */
export async function submitScriptFlow(studio: Studio, path: string): Promise<void> {
  const ws = studio.workspaceId;
  if (!ws) {
    studio.notifyError('Submitting a script run', new Error('select or create a workspace first'));
    return;
  }
  let experiments: string[];
  let computes: ComputeTarget[];
  let environments: EnvironmentAsset[];
  try {
    [experiments, computes, environments] = await Promise.all([
      studio.api.listExperiments(ws).then(list => list.map(e => e.name)),
      studio.api.listComputes(ws),
      studio.routes.has('/workspaces/{workspace_id}/environments')
        ? studio.api.listEnvironments(ws, true) : Promise.resolve([])]);
  } catch (err) {
    studio.notifyError('Submitting a script run', err);
    return;
  }
  if (!computes.some(c => c.name === 'local')) {
    computes = [{ name: 'local', type: 'local', provisioning_state: 'Succeeded', status: {},
      spec: {}, created_time: 0, description: '', tags: {} },
      ...computes];
  }
  const { script } = splitScriptPath(path);
  let choices: SubmitChoices = { experiment: experiments[0] ?? script.replace(/\.py$/, ''),
    compute: 'local', environment: '', arguments: '' };
  let error = '';
  for (;;) {
    const result = await showDialog({
      title: 'Submit script run',
      body: new SubmitBody(path, experiments, computes, environments, choices, error),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Submit' })],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || !result.value) {
      return;
    }
    choices = result.value;
    try {
      const run = await studio.api.submitScriptRun(ws, request(choices, path));
      studio.dataChanged.emit();
      studio.openRun(ws, run.id, 'outputs');
      return;
    } catch (err) {
      error = errorMessage(err);
    }
  }
}

/** The file browser's selected file, read through its public methods; the file browser
 * package is not a dependency of ours, so this looks it up in the shell by its id. */
interface FileBrowserLike {
  selectedItems(): Iterable<{ path: string; type: string }>;
}

export function selectedPythonFile(app: JupyterFrontEnd): string | null {
  for (const widget of app.shell.widgets('left')) {
    const browser = widget as unknown as Partial<FileBrowserLike>;
    if (widget.id === 'filebrowser' && typeof browser.selectedItems === 'function') {
      for (const item of browser.selectedItems()) {
        if (item.type === 'file' && item.path.endsWith('.py')) {
          return item.path;
        }
      }
    }
  }
  return null;
}
