// The "Models" view: every registered version (newest first per name) with its aliases,
// lineage and users; the selected version's details, files (download), alias moves, deletion
// and the registry's history of that model (who did what, when).
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { clear, emptyState, errorMessage, formatBytes, formatTime, h, table } from '../common/dom';
import type { ModelEvent, ModelVersion } from '../common/types';
import { confirmDialog } from './dialogs';
import { modelIcon } from './icons';
import type { Studio } from './studio';

function kv(entries: [string, string | Node][]): HTMLElement {
  return h('div', { className: 'mlws-kv' }, entries.flatMap(([k, v]) => [
    h('div', { className: 'mlws-kv-key' }, k), h('div', { className: 'mlws-kv-value' }, v)]));
}

function aliasBadges(aliases: string[]): HTMLElement {
  return h('span', { className: 'mlws-aliases' }, aliases.map(a =>
    h('span', { className: 'mlws-alias', 'data-alias': a }, a)));
}

function pairs(values: Record<string, string>, empty: string): HTMLElement {
  const entries = Object.entries(values);
  return entries.length ? table(['Name', 'Value'], entries.map(([k, v]) => [k, v]),
    'mlws-table mlws-compact') : h('p', { className: 'mlws-muted' }, empty);
}

function eventText(e: ModelEvent): string {
  switch (e.action) {
  case 'alias':
    return `alias ${e.alias} → version ${e.version}` +
      (e.previous_version ? ` (was ${e.previous_version})` : '');
  case 'alias_removed':
    return `alias ${e.alias} removed (was version ${e.version})`;
  case 'update':
    return `version ${e.version} edited (${(e.changed ?? []).join(', ')})`;
  case 'register':
    return `version ${e.version} registered` + (e.run_id ? ` from run ${e.run_id}` : '');
  default:
    return `version ${e.version} ${e.action}d`;
  }
}

export class ModelsView extends Widget {
  private list = h('div', { className: 'mlws-models-list' });
  private detail = h('div', { className: 'mlws-models-detail' });
  private models: ModelVersion[] = [];
  private selected: string | null;

  constructor(private studio: Studio, readonly workspaceId: string, selected?: string) {
    super();
    this.addClass('mlws-models-view');
    this.selected = selected ?? null;
    this.node.append(h('div', { className: 'mlws-section-head' }, h('h2', null, 'Models'),
      h('button', { className: 'mlws-button mlws-small', type: 'button',
        'aria-label': 'Refresh models', onclick: () => void this.refresh() }, 'Refresh')),
    this.list, this.detail);
    void this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      this.models = await this.studio.api.listModels(this.workspaceId);
    } catch (err) {
      clear(this.list);
      this.list.append(emptyState(`The models could not be read: ${errorMessage(err)}`));
      return;
    }
    this.renderList();
    const model = this.models.find(m => m.id === this.selected) ??
      this.models.find(m => m.name === this.selected) ?? this.models[0];
    if (model) {
      await this.select(model);
    } else {
      clear(this.detail);
    }
  }

  private renderList(): void {
    clear(this.list);
    if (!this.models.length) {
      this.list.append(emptyState('No registered models.',
        'In a notebook: Model.register(ws, "model.pkl", "my-model"), or from a run: ' +
        'run.register_model("my-model", "outputs/model.pkl").'));
      return;
    }
    const rows = this.models.map(m => {
      const open = h('button', { className: 'mlws-link-button mlws-model-open', type: 'button',
        'data-model': m.id, onclick: () => void this.select(m) }, m.name);
      return [open, String(m.version), aliasBadges(m.aliases), m.framework,
        m.run_id ? this.runLink(m.run_id) : '', formatTime(m.created_time),
        m.used_by.join(', ')];
    });
    this.list.append(table(['Name', 'Version', 'Aliases', 'Framework', 'Run', 'Registered',
      'Deployed in'], rows, 'mlws-table mlws-models-table'));
  }

  private runLink(runId: string): HTMLElement {
    return h('a', { href: '#', className: 'mlws-link', 'data-run-id': runId,
      onclick: (ev: Event) => {
        ev.preventDefault();
        this.studio.openRun(this.workspaceId, runId);
      } }, runId);
  }

  private async select(model: ModelVersion): Promise<void> {
    this.selected = model.id;
    for (const b of this.list.querySelectorAll<HTMLElement>('.mlws-model-open')) {
      b.closest('tr')?.classList.toggle('mlws-selected', b.dataset.model === model.id);
    }
    let history: ModelEvent[] | Error;
    try {
      history = await this.studio.api.getModelHistory(this.workspaceId, model.name);
    } catch (err) {
      history = err instanceof Error ? err : new Error(String(err));
    }
    this.renderDetail(model, history);
  }

  private renderDetail(model: ModelVersion, history: ModelEvent[] | Error): void {
    clear(this.detail);
    this.detail.dataset.model = model.id;
    const error = h('p', { className: 'mlws-error', role: 'alert' });
    const lineage: [string, string | Node][] = [
      ['Run', model.run_id ? this.runLink(model.run_id) : 'registered from files'],
      ['Experiment', model.experiment_name ?? '']];
    for (const d of model.datasets) {
      lineage.push([`Dataset (${String(d.scenario ?? 'input')})`, String(d.name ?? d.id ?? '')]);
    }
    if (model.sample_input_dataset) {
      lineage.push(['Sample input', String(model.sample_input_dataset.id ?? '')]);
    }
    this.detail.append(
      h('h3', null, `${model.name} : version ${model.version}`),
      kv([['Id', h('code', null, model.id)], ['Aliases', aliasBadges(model.aliases)],
        ['Framework', [model.framework, model.framework_version].filter(Boolean).join(' ')],
        ['Registered', `${formatTime(model.created_time)} by ${model.created_by}`],
        ['Description', model.description || '—'],
        ['Deployed in', model.used_by.join(', ') || '—']]),
      h('h4', { className: 'mlws-subhead' }, 'Lineage'), kv(lineage),
      h('h4', { className: 'mlws-subhead' }, 'Tags'), pairs(model.tags, 'No tags.'),
      h('h4', { className: 'mlws-subhead' }, 'Properties'),
      pairs(model.properties, 'No properties.'),
      h('h4', { className: 'mlws-subhead' }, 'Files'), this.files(model),
      h('h4', { className: 'mlws-subhead' }, 'Aliases'), this.aliasForm(model, error),
      error,
      h('h4', { className: 'mlws-subhead' }, `History of ${model.name}`),
      history instanceof Error
        ? emptyState(`The history could not be read: ${errorMessage(history)}`)
        : table(['Time', 'Event', 'By'], [...history].reverse().map(e => [
          formatTime(e.time), eventText(e), e.actor]), 'mlws-table mlws-compact mlws-history'));
  }

  private files(model: ModelVersion): HTMLElement {
    const rows = Object.entries(model.files).map(([path, size]) => [
      h('a', { href: this.studio.api.modelFileUrl(model, path), className: 'mlws-link',
        download: path.split('/').pop() ?? path }, path),
      size === null ? '' : formatBytes(size)]);
    return table(['File', 'Size'], rows, 'mlws-table mlws-compact mlws-model-files');
  }

  private aliasForm(model: ModelVersion, error: HTMLElement): HTMLElement {
    const input = h('input', { className: 'mlws-input mlws-alias-input', type: 'text',
      placeholder: 'production', 'aria-label': 'Alias' });
    const run = async (action: () => Promise<unknown>): Promise<void> => {
      error.textContent = '';
      try {
        await action();
        this.selected = model.id;
        await this.refresh();
      } catch (err) {
        error.textContent = errorMessage(err);
      }
    };
    const ws = this.workspaceId;
    const remove = model.aliases.map(a => h('button', {
      className: 'mlws-button mlws-small', type: 'button', 'aria-label': `Remove alias ${a}`,
      onclick: () => void run(() => this.studio.api.removeModelAlias(ws, model.name, a))
    }, `Remove ${a}`));
    const del = h('button', { className: 'mlws-button mlws-small mlws-danger', type: 'button',
      onclick: () => void (async () => {
        if (await confirmDialog('Delete model version',
          `Delete ${model.id}? Its aliases are removed; the history keeps the record.`)) {
          await run(() => this.studio.api.deleteModel(ws, model.name, model.version));
        }
      })() }, 'Delete version');
    return h('div', { className: 'mlws-toolbar' }, input,
      h('button', { className: 'mlws-button mlws-small', type: 'button',
        onclick: () => void run(() => this.studio.api.setModelAlias(ws, model.name,
          input.value.trim(), model.version)) }, 'Set alias'), ...remove, del);
  }
}

export class ModelsWidget extends MainAreaWidget<ModelsView> {
  constructor(studio: Studio, workspaceId: string, selected?: string) {
    super({ content: new ModelsView(studio, workspaceId, selected) });
    this.title.label = 'Models';
    this.title.icon = modelIcon;
    this.title.closable = true;
  }
}
