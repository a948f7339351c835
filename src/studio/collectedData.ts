// The "Collected data" part of the Endpoints view: per designation (inputs, predictions,
// requests, ...) the rows and files a service collected, the dataset versions made from them
// (each opens the dataset view at that version) and a button that registers a new version
// (registerCollectedData: the server copies the files not yet exported and registers them).
import { clear, emptyState, errorMessage, formatTime, h, table } from '../common/dom';
import { OPERATIONS } from '../common/api.gen';
import type { CollectedData, CollectedDesignation, DatasetSummary } from '../common/api.gen';
import { formatBytes, openDataset } from './data/datasetView';
import type { Studio } from './studio';

const files = (n: number): string => `${n} file${n === 1 ? '' : 's'}`;

export class CollectedDataPart {
  readonly node = h('div', { className: 'mlws-collected' });
  private figures = h('div', { className: 'mlws-collected-figures' });
  // Outside the re-rendered table, so feedback survives the periodic refresh.
  private status = h('p', { className: 'mlws-muted mlws-collected-status', role: 'status',
    'aria-live': 'polite' });
  private registering: string | null = null;
  private service = '';

  constructor(private studio: Studio, private ws: string) {
    this.node.append(this.figures, this.status);
  }

  /** Whether the server has the rows (an older back end has not: the part is not shown). */
  get available(): boolean {
    return this.studio.routes.has(OPERATIONS.getCollectedData.path);
  }

  /** Show ``service``'s collected data (a new service clears the feedback line). */
  async refresh(service: string): Promise<void> {
    if (!this.available) {
      return;
    }
    if (service !== this.service) {
      this.service = service;
      this.status.textContent = '';
      delete this.status.dataset.outcome;
    }
    let answer: CollectedData;
    try {
      answer = await this.studio.api.call('getCollectedData',
        { workspace_id: this.ws, service_name: service });
    } catch (err) {
      clear(this.figures);
      this.figures.append(h('p', { className: 'mlws-muted' },
        `Collected data: ${errorMessage(err)}`));
      return;
    }
    if (service === this.service) {
      this.render(answer);
    }
  }

  private render(data: CollectedData): void {
    clear(this.figures);
    if (!data.designations.length) {
      this.figures.append(emptyState(data.collect_model_data
        ? 'Nothing collected yet: collected rows are written every few seconds.'
        : 'This service does not collect data.',
      data.collect_model_data ? '' : 'Deploy it with collect_model_data=True, and use ' +
        'ModelDataCollector in score.py for inputs and predictions.'));
      return;
    }
    this.figures.append(table(
      ['Designation', 'Rows', 'Files', 'Collected', 'Dataset versions', ''],
      data.designations.map(d => this.row(data.service, d)),
      'mlws-table mlws-compact mlws-collected-table'));
  }

  private row(service: string, d: CollectedDesignation): (string | Node)[] {
    const span = d.first_time === null || d.last_time === null ? '—'
      : `${formatTime(d.first_time)} – ${formatTime(d.last_time)}`;
    const versions = d.versions.length ? h('span', null, d.versions.map((v, i) => [
      i ? ', ' : '', this.link(v)]).flat()) : h('span', { className: 'mlws-muted' }, 'none');
    const waiting = this.registering === d.designation;
    const make = h('button', { className: 'mlws-button mlws-small mlws-collected-register',
      type: 'button', 'data-designation': d.designation, disabled: waiting,
      title: `Register the collected files as a new version of ${d.dataset_name}`,
      onclick: () => void this.register(service, d) },
    waiting ? 'Registering…' : d.versions.length && !d.new_files ? 'Up to date'
      : `New version${d.versions.length ? ` (+${d.new_files} files)` : ''}`);
    const row = [d.designation, String(d.rows), `${d.files} (${formatBytes(d.bytes)})`, span,
      versions, make];
    return row;
  }

  private link(v: DatasetSummary): HTMLElement {
    return h('button', { className: 'mlws-link-button mlws-collected-version', type: 'button',
      'data-dataset': v.name, 'data-version': String(v.version),
      title: `${files(v.files ?? 0)}, ${formatTime(v.created_time)}`,
      onclick: () => openDataset(this.studio, this.ws, v.name, v.version) },
    `${v.name} v${v.version}`);
  }

  private async register(service: string, d: CollectedDesignation): Promise<void> {
    if (this.registering) {
      return;
    }
    this.registering = d.designation;
    this.say(`Registering the collected ${d.designation} as ${d.dataset_name}…`, 'pending');
    await this.refresh(service);
    try {
      const made = await this.studio.api.call('registerCollectedData',
        { workspace_id: this.ws, service_name: service, designation: d.designation }, undefined, {});
      const v = made.dataset;
      this.say(made.created
        ? `Registered ${v.name} version ${v.version} (${files(v.files ?? 0)}).`
        : `No rows arrived since ${v.name} version ${v.version}: it is current.`,
      made.created ? 'created' : 'current');
    } catch (err) {
      this.say(`Registering ${d.dataset_name} failed: ${errorMessage(err)}`, 'error');
    } finally {
      this.registering = null;
    }
    await this.refresh(service);
  }

  private say(text: string, outcome: string): void {
    this.status.textContent = text;
    this.status.dataset.outcome = outcome;
    this.status.className = outcome === 'error' ? 'mlws-error mlws-collected-status'
      : 'mlws-muted mlws-collected-status';
  }
}
