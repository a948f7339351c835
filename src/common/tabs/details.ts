// Details: status with its timeline, timings, description, tags (editable), properties,
// arguments, error details, parent/children links, environment and compute.
import { clear, emptyState, formatDuration, formatTime, h, runDuration, statusBadge, table } from '../dom';
import { datasetsSection } from '../lineage';
import type { ChangeKind, RunDataSource } from '../source';
import type { ModelVersion, Run } from '../types';
import type { RunTab } from './tab';

function runLink(source: RunDataSource, runId: string): HTMLElement {
  if (!source.openRun) {
    return h('code', null, runId);
  }
  return h('a', {
    href: '#', className: 'mlws-link', 'data-run-id': runId,
    onclick: (ev: Event) => {
      ev.preventDefault();
      source.openRun?.(runId);
    }
  }, runId);
}

function section(title: string, ...body: (Node | null)[]): HTMLElement {
  return h('section', { className: 'mlws-section' }, h('h3', null, title), ...body);
}

/** Label/value pairs on a grid (divs: hosts such as notebook output areas restyle dl/dt/dd). */
function keyValues(entries: [string, string | Node][]): HTMLElement {
  return h('div', { className: 'mlws-kv' }, entries.flatMap(([k, v]) => [
    h('div', { className: 'mlws-kv-key' }, k), h('div', { className: 'mlws-kv-value' }, v)]));
}

function timeline(run: Run): HTMLElement {
  const steps: [string, number | null | undefined][] = [
    ['Created', run.created_time], ['Started', run.start_time], ['Ended', run.end_time]
  ];
  return h('ol', { className: 'mlws-timeline' }, steps.map(([label, t]) =>
    h('li', { className: t ? 'mlws-timeline-done' : 'mlws-timeline-pending' },
      h('span', { className: 'mlws-timeline-label' }, label),
      h('span', null, t ? formatTime(t) : '—'))));
}

export class DetailsTab implements RunTab {
  readonly id = 'details';
  readonly label = 'Details';
  readonly node = h('div', { className: 'mlws-tab-details' });
  private childCount: number | null = null;
  private models: ModelVersion[] | null = null;

  constructor(private source: RunDataSource) {}

  async load(run: Run): Promise<void> {
    try {
      this.childCount = (await this.source.getChildren()).length;
    } catch {
      this.childCount = null;
    }
    try {
      // A server without the models route (or a comm) shows no models section.
      this.models = this.source.listModels ? await this.source.listModels() : null;
    } catch {
      this.models = null;
    }
    this.render(run);
  }

  async update(run: Run, what: ChangeKind[]): Promise<void> {
    if (what.includes('children')) {
      await this.load(run);
      return;
    }
    this.render(run);
  }

  dispose(): void {
    clear(this.node);
  }

  private render(run: Run): void {
    // Keep a tag being typed: re-rendering under the user's fingers would drop it.
    if (this.node.contains(document.activeElement) &&
        document.activeElement instanceof HTMLInputElement) {
      return;
    }
    clear(this.node);
    const def = (run.run_definition ?? {}) as Record<string, unknown>;
    const overview: [string, string | Node][] = [
      ['Status', statusBadge(run.status)],
      ['Run id', h('code', null, run.id)],
      ['Display name', run.display_name || ''],
      ['Experiment', run.experiment_name],
      ['Run number', String(run.number)],
      ['Run type', run.run_type || ''],
      ['Compute target', String(run.target ?? def.target ?? 'local')],
      ['Duration', formatDuration(runDuration(run))]
    ];
    if (run.parent_run_id) {
      overview.push(['Parent run', runLink(this.source, run.parent_run_id)]);
    }
    if (this.childCount !== null) {
      overview.push(['Child runs', String(this.childCount)]);
    }
    if (this.source.labUrl) {
      const url = this.source.labUrl();
      if (url) {
        overview.push(['Studio', h('a', { href: url, target: '_blank', className: 'mlws-link' },
          'View Run Details')]);
      }
    }
    this.node.append(section('Overview', keyValues(overview)));
    this.node.append(section('Timeline', timeline(run)));
    if (run.status === 'Failed' || run.error) {
      this.node.append(this.errorSection(run));
    }
    this.node.append(this.descriptionSection(run));
    this.node.append(this.tagsSection(run));
    this.node.append(datasetsSection(run.properties ?? {}));
    const props = Object.entries(run.properties ?? {});
    this.node.append(section('Properties', props.length
      ? table(['Name', 'Value'], props.map(([k, v]) => [k, v]))
      : h('p', { className: 'mlws-muted' }, 'No properties.')));
    if (this.models !== null) {
      this.node.append(section('Registered models', this.models.length
        ? table(['Model', 'Aliases', 'Registered', 'Files'], this.models.map(m => [
          h('code', { 'data-model': m.id }, m.id), m.aliases.join(', '),
          formatTime(m.created_time), Object.keys(m.files).join(', ')]),
        'mlws-table mlws-run-models')
        : h('p', { className: 'mlws-muted' },
          'No models registered from this run (run.register_model).')));
    }
    this.node.append(this.definitionSection(def));
  }

  private errorSection(run: Run): HTMLElement {
    const err = run.error?.error ?? {};
    const details = Object.entries(err).filter(([k]) => k !== 'code' && k !== 'message');
    return h('section', { className: 'mlws-section mlws-error', role: 'alert' },
      h('h3', null, 'Error'),
      h('p', null, h('strong', null, err.code ?? 'Failed'), ': ',
        String(err.message ?? 'The run failed without an error message.')),
      details.length
        ? h('pre', { className: 'mlws-pre' }, JSON.stringify(Object.fromEntries(details), null, 2))
        : null);
  }

  private descriptionSection(run: Run): HTMLElement {
    const text = h('p', { className: 'mlws-description' },
      run.description || h('span', { className: 'mlws-muted' }, 'No description.'));
    if (!this.source.updateRun) {
      return section('Description', text);
    }
    const edit = h('button', {
      className: 'mlws-button', type: 'button',
      onclick: () => {
        const area = h('textarea', { className: 'mlws-input', rows: 3,
          'aria-label': 'Description' });
        area.value = run.description ?? '';
        const save = h('button', {
          className: 'mlws-button mlws-primary', type: 'button',
          onclick: async () => {
            const updated = await this.source.updateRun!({ description: area.value });
            this.render(updated);
          }
        }, 'Save');
        text.replaceWith(h('div', null, area, save));
        edit.remove();
        area.focus();
      }
    }, 'Edit');
    return section('Description', text, edit);
  }

  private tagsSection(run: Run): HTMLElement {
    const entries = Object.entries(run.tags ?? {});
    const rows = entries.map(([k, v]) => {
      const cells: (string | Node)[] = [k, v ?? ''];
      if (this.source.updateRun) {
        cells.push(h('button', {
          className: 'mlws-button mlws-small', type: 'button', 'aria-label': `Remove tag ${k}`,
          onclick: async () => this.render(await this.source.updateRun!({ remove_tags: [k] }))
        }, 'Remove'));
      }
      return cells;
    });
    const body = entries.length
      ? table(this.source.updateRun ? ['Tag', 'Value', ''] : ['Tag', 'Value'], rows)
      : h('p', { className: 'mlws-muted' }, 'No tags.');
    if (!this.source.updateRun) {
      return section('Tags', body);
    }
    const key = h('input', { className: 'mlws-input', placeholder: 'tag', 'aria-label': 'Tag name' });
    const value = h('input', { className: 'mlws-input', placeholder: 'value',
      'aria-label': 'Tag value' });
    const form = h('form', {
      className: 'mlws-tag-form',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        if (!key.value.trim()) {
          return;
        }
        const updated = await this.source.updateRun!({ tags: { [key.value.trim()]: value.value } });
        key.blur();
        value.blur();
        this.render(updated);
      }
    }, key, value, h('button', { className: 'mlws-button', type: 'submit' }, 'Add tag'));
    return section('Tags', body, form);
  }

  private definitionSection(def: Record<string, unknown>): HTMLElement {
    const entries: [string, string | Node][] = [];
    const args = def.arguments;
    if (Array.isArray(args) && args.length) {
      entries.push(['Arguments', h('code', null, args.map(String).join(' '))]);
    }
    for (const key of ['script', 'command', 'source_directory', 'target', 'node_count']) {
      if (def[key] !== undefined && def[key] !== null && def[key] !== '') {
        entries.push([key.replace(/_/g, ' '), String(def[key])]);
      }
    }
    const env = def.environment as Record<string, unknown> | undefined;
    if (env && typeof env === 'object') {
      entries.push(['Environment', `${env.name ?? ''}${env.version ? ' v' + env.version : ''}`]);
    }
    if (!entries.length && !Object.keys(def).length) {
      return section('Run definition', emptyState(
        'No run definition: this run was started interactively (start_logging).'));
    }
    const raw = h('details', null, h('summary', null, 'Full run definition'),
      h('pre', { className: 'mlws-pre' }, JSON.stringify(def, null, 2)));
    return section('Run definition', keyValues(entries), raw);
  }
}
