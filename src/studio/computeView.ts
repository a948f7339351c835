// Compute targets in the main area: one target with its state, scale settings and nodes (the
// runs each node executes), refreshed while shown, and deleted from here; the dialog that
// creates a cluster or an instance.
import { Dialog, MainAreaWidget, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { clear, emptyState, errorMessage, formatTime, h, table } from '../common/dom';
import type { ComputeCreate, ComputeNode, ComputeTarget } from '../common/types';
import { confirmDialog } from './dialogs';
import { computeNodes, computeState } from './resources';
import type { Studio } from './studio';

const REFRESH_MS = 2000;


class CreateBody extends Widget implements Dialog.IBodyWidget<ComputeCreate> {
  constructor(previous: ComputeCreate, error: string) {
    super({ node: h('form', { className: 'mlws-form mlws-compute-form' }) });
    const input = (name: string, label: string, value: string | number | undefined,
      attrs: Record<string, string | number> = {}): HTMLElement =>
      h('label', null, label, h('input', { className: 'jp-mod-styled mlws-input', name,
        'aria-label': label, value: value === undefined ? '' : String(value), ...attrs }));
    const type = h('select', { className: 'jp-mod-styled mlws-input', name: 'type',
      'aria-label': 'Type' },
    h('option', { value: 'AmlCompute' }, 'Cluster (AmlCompute: runs queue on its nodes)'),
    h('option', { value: 'ComputeInstance' }, 'Instance (a Jupyter kernel of its own)'));
    type.value = previous.type ?? 'AmlCompute';
    this.node.append(
      input('name', 'Name', previous.name, { placeholder: 'cpu-cluster (2-24 letters, ' +
        'digits or -)' }),
      h('label', null, 'Type', type),
      input('vm_size', 'VM size', previous.vm_size, { placeholder: 'Standard_DS3_v2' }),
      input('min_nodes', 'Minimum nodes', previous.min_nodes, { type: 'number', min: 0 }),
      input('max_nodes', 'Maximum nodes', previous.max_nodes, { type: 'number', min: 0 }),
      input('idle_seconds_before_scaledown', 'Idle seconds before a node leaves',
        previous.idle_seconds_before_scaledown, { type: 'number', min: 0 }),
      error ? h('p', { className: 'mlws-error mlws-form-error', role: 'alert' }, error) : '');
  }

  getValue(): ComputeCreate {
    const field = (name: string): string =>
      (this.node.querySelector(`[name="${name}"]`) as HTMLInputElement).value.trim();
    const number = (name: string): number | undefined =>
      field(name) === '' ? undefined : Number(field(name));
    const value: ComputeCreate = { name: field('name'),
      type: field('type') as ComputeCreate['type'] };
    if (field('vm_size')) {
      value.vm_size = field('vm_size');
    }
    if (value.type === 'AmlCompute') {
      value.min_nodes = number('min_nodes');
      value.max_nodes = number('max_nodes');
      value.idle_seconds_before_scaledown = number('idle_seconds_before_scaledown');
    }
    return value;
  }
}

/** Ask, create, open the new target; a rejected request asks again with the message. */
export async function createComputeFlow(studio: Studio, ws: string, done: () => void):
Promise<void> {
  let choices: ComputeCreate = { name: '', type: 'AmlCompute', min_nodes: 0, max_nodes: 2,
    idle_seconds_before_scaledown: 600 };
  let error = '';
  for (;;) {
    const result = await showDialog({
      title: 'Create compute target', body: new CreateBody(choices, error),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Create' })],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || !result.value) {
      return;
    }
    choices = result.value;
    try {
      await studio.api.createCompute(ws, choices);
      done();
      studio.openCompute(ws, choices.name);
      return;
    } catch (err) {
      error = errorMessage(err);
    }
  }
}

export class ComputeContent extends Widget {
  private body = h('div', { className: 'mlws-compute-details' });
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private studio: Studio, private ws: string, readonly name: string) {
    super();
    this.addClass('mlws-compute-view');
    this.node.append(h('div', { className: 'mlws-toolbar' },
      h('h2', { className: 'mlws-run-title' }, name),
      h('button', { className: 'mlws-button', type: 'button', onclick: () => void this.load() },
        'Refresh'),
      name === 'local' ? null : h('button', { className: 'mlws-button mlws-danger',
        type: 'button', onclick: () => void this.remove() }, 'Delete')), this.body);
    void this.load();
  }

  protected onAfterAttach(): void {
    this.timer = setInterval(() => {
      if (this.isVisible && !document.hidden) {
        void this.load();
      }
    }, REFRESH_MS);
  }

  protected onBeforeDetach(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
  }

  private async load(): Promise<void> {
    let target: ComputeTarget & { nodes?: ComputeNode[] };
    try {
      target = await this.studio.api.getCompute(this.ws, this.name);
    } catch (err) {
      clear(this.body);
      this.body.append(emptyState(`The compute target could not be read: ${errorMessage(err)}`));
      return;
    }
    const state = computeState(target);
    const spec = (target.spec ?? {}) as Record<string, unknown>;
    const scale = (spec.scaleSettings ?? {}) as Record<string, unknown>;
    const errors = (target.status?.errors ?? []) as { code?: string; message?: string }[];
    const rows: [string, string | Node][] = [
      ['Type', target.type],
      ['State', h('span', { className: `mlws-compute-state mlws-state-${state}` }, state)],
      ['Provisioning', target.provisioning_state],
      ['Nodes (current / target)', computeNodes(target) || '—'],
      ['VM size', String(spec.vmSize ?? '')],
      ['Scale', scale.maxNodeCount !== undefined
        ? `${scale.minNodeCount} to ${scale.maxNodeCount} nodes, idle ` +
          `${scale.nodeIdleTimeBeforeScaleDown} s before a node leaves` : ''],
      ['Scheduler', String(target.status?.scheduler_address ?? '')],
      ['Created', formatTime(target.created_time)],
      ['Description', target.description ?? '']
    ];
    clear(this.body);
    this.body.append(h('div', { className: 'mlws-kv' }, rows.filter(([, v]) => v !== '')
      .flatMap(([k, v]) => [h('div', { className: 'mlws-kv-key' }, k),
        h('div', { className: 'mlws-kv-value' }, v)])));
    if (errors.length) {
      this.body.append(h('section', { className: 'mlws-section mlws-error', role: 'alert' },
        h('h3', null, 'Errors'), errors.map(e => h('p', null, h('strong', null, e.code ?? ''),
          ': ', e.message ?? ''))));
    }
    const nodes = target.nodes ?? [];
    this.body.append(h('section', { className: 'mlws-section' }, h('h3', null, 'Nodes'),
      nodes.length ? table(['Node', 'Address', 'State', 'Runs'], nodes.map(n => [
        n.nodeId, `${n.privateIpAddress ?? ''}${n.port ? `:${n.port}` : ''}`,
        n.nodeState ?? '',
        h('span', null, (n.runIds ?? []).map(id => h('a', { href: '#', className: 'mlws-link',
          'data-run-id': id, onclick: (ev: Event) => {
            ev.preventDefault();
            this.studio.openRun(this.ws, id);
          } }, id)))]), 'mlws-table mlws-nodes-table')
        : h('p', { className: 'mlws-muted' }, target.type === 'AmlCompute'
          ? 'No nodes: the cluster starts them when runs are queued (down to its minimum ' +
            'when idle).' : 'This target has no nodes of its own.')));
  }

  private async remove(): Promise<void> {
    if (!(await confirmDialog('Delete compute target',
      `Delete "${this.name}"? A cluster stops its nodes; runs on it fail.`))) {
      return;
    }
    try {
      await this.studio.api.deleteCompute(this.ws, this.name);
      this.studio.dataChanged.emit();
      this.parent?.dispose();
    } catch (err) {
      this.studio.notifyError('Deleting the compute target failed', err);
    }
  }
}

export class ComputeWidget extends MainAreaWidget<ComputeContent> {
  mlwsOwner?: { workspaceId: string; experiment?: string };

  constructor(studio: Studio, ws: string, name: string) {
    super({ content: new ComputeContent(studio, ws, name) });
    this.title.label = `Compute: ${name}`;
    this.title.closable = true;
  }
}
