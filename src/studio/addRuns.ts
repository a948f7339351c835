// "Add runs…" of the compare view: runs of any experiment of the workspace (searched on the
// server), so a comparison can span experiments.
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { clear, errorMessage, h, statusBadge } from '../common/dom';
import type { Experiment, Run } from '../common/types';
import type { Studio } from './studio';

const SHOWN = 50;

class AddRunsBody extends Widget implements Dialog.IBodyWidget<string[]> {
  private picked = new Set<string>();
  private list = h('div', { className: 'mlws-add-runs-list', role: 'list' });
  private experiment: HTMLSelectElement;
  private search: HTMLInputElement;
  private loads = 0;

  constructor(private studio: Studio, private ws: string, experiments: Experiment[],
    private already: Set<string>) {
    super({ node: h('div', { className: 'mlws-form mlws-add-runs' }) });
    this.experiment = h('select', { className: 'jp-mod-styled mlws-input',
      'aria-label': 'Experiment', onchange: () => void this.load() },
    experiments.map(e => h('option', { value: e.name }, e.name)));
    let debounce: ReturnType<typeof setTimeout> | null = null;
    this.search = h('input', { className: 'jp-mod-styled mlws-input', type: 'search',
      placeholder: 'name or id', 'aria-label': 'Search runs',
      oninput: () => {
        if (debounce) {
          clearTimeout(debounce);
        }
        debounce = setTimeout(() => void this.load(), 250);
      } });
    this.node.append(h('label', null, 'Experiment', this.experiment),
      h('label', null, 'Search', this.search), this.list);
    void this.load();
  }

  private async load(): Promise<void> {
    const token = ++this.loads;
    let runs: Run[];
    try {
      runs = (await this.studio.api.listRuns(this.ws, { experiment: this.experiment.value,
        text: this.search.value.trim(), include_children: true, limit: SHOWN })).runs;
    } catch (err) {
      clear(this.list);
      this.list.append(h('p', { className: 'mlws-error' }, errorMessage(err)));
      return;
    }
    if (token !== this.loads) {
      return;
    }
    clear(this.list);
    for (const run of runs) {
      const name = run.display_name || run.id;
      const box = h('input', { type: 'checkbox', 'aria-label': `Add run ${name}`,
        disabled: this.already.has(run.id),
        onchange: () => {
          if (box.checked) {
            this.picked.add(run.id);
          } else {
            this.picked.delete(run.id);
          }
        } });
      box.checked = this.already.has(run.id) || this.picked.has(run.id);
      this.list.append(h('label', { className: 'mlws-add-runs-item', role: 'listitem' }, box,
        statusBadge(run.status), ` ${name} `,
        h('span', { className: 'mlws-muted' }, `#${run.number}`)));
    }
    if (!runs.length) {
      this.list.append(h('p', { className: 'mlws-muted' }, 'No runs match.'));
    }
  }

  getValue(): string[] {
    return [...this.picked];
  }
}

export async function addRunsFlow(studio: Studio, ws: string, current: string[],
  done: (ids: string[]) => void): Promise<void> {
  let experiments: Experiment[];
  try {
    experiments = await studio.api.listExperiments(ws);
  } catch (err) {
    studio.notifyError('Listing experiments', err);
    return;
  }
  const result = await showDialog({
    title: 'Add runs to the comparison',
    body: new AddRunsBody(studio, ws, experiments, new Set(current)),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Add' })]
  });
  if (result.button.accept && result.value?.length) {
    done([...current, ...result.value.filter(id => !current.includes(id))]);
  }
}
