// The panel's "Compute", "Environments" and "Models" sections: compute targets with their live state and
// node counts (a running cluster daemon or instance has a Stop button), registered environments
// with their versions, and the cache of built environments. Shown only when the server has the
// routes (Studio.routes, read from openapi.json).
import { OPERATIONS } from '../common/api.gen';
import { emptyState, errorMessage, formatTime, h, table } from '../common/dom';
import type {
  BuiltEnvironment, ComputeTarget, EnvironmentAsset, ModelVersion, Service
} from '../common/types';
import { accessSection, needs } from './access';
import { createComputeFlow } from './computeView';
import { dataSection, DATASETS_ROUTE } from './data/section';
import type { Studio } from './studio';

/** A number from the first of `keys` present (clusters say snake_case, attached Dask camelCase). */
function count(status: Record<string, unknown>, ...keys: string[]): number | null {
  for (const key of keys) {
    const value = status[key];
    if (typeof value === 'number') {
      return value;
    }
  }
  return null;
}

/** The state a user cares about: an instance's Running/Stopped, else the provisioning state. */
export function computeState(target: ComputeTarget): string {
  if (target.type === 'local') {
    return 'Ready'; // this machine: nothing is provisioned, it is always there
  }
  const state = target.status?.state;
  if (typeof state === 'string' && state) {
    return state;
  }
  return target.provisioning_state || 'Unknown';
}

export function computeNodes(target: ComputeTarget): string {
  const status = target.status ?? {};
  const current = count(status, 'current_node_count', 'currentNodeCount');
  const wanted = count(status, 'target_node_count', 'targetNodeCount');
  if (current === null && wanted === null) {
    return '';
  }
  return `${current ?? 0} / ${wanted ?? current ?? 0}`;
}

/** A cluster whose daemon runs (or starts), or a running instance: something to stop. */
export function isStoppable(target: ComputeTarget): boolean {
  const state = computeState(target);
  return (target.type === 'AmlCompute' && (state === 'Running' || state === 'Starting')) ||
    (target.type === 'ComputeInstance' && state === 'Running');
}

function stopButton(target: ComputeTarget, onStop: (name: string) => Promise<void>,
  error: HTMLElement): HTMLElement {
  const button = h('button', { className: 'mlws-button mlws-small mlws-compute-stop',
    type: 'button', 'aria-label': `Stop ${target.name}`, title: target.type === 'AmlCompute'
      ? 'Stop the cluster (scaled to zero); the next run starts it again' : 'Stop the instance'
  }, 'Stop') as HTMLButtonElement;
  button.onclick = async () => {
    button.disabled = true;
    button.textContent = 'Stopping…';
    error.textContent = '';
    try {
      await onStop(target.name);
    } catch (err) {
      error.textContent = `Could not stop ${target.name}: ${errorMessage(err)}`;
      button.disabled = false;
      button.textContent = 'Stop';
    }
  };
  return button;
}

function sectionHead(title: string, onRefresh: () => void, onNew?: () => void): HTMLElement {
  return h('div', { className: 'mlws-section-head' }, h('h3', null, title),
    h('span', { className: 'mlws-section-actions' },
      onNew ? h('button', { className: `mlws-button mlws-small ${needs('computes_write')}`,
        type: 'button', 'aria-label': `New ${title.toLowerCase()} target`, title: `Create a ${
          title.toLowerCase()} target`, onclick: onNew }, 'New') : null,
      h('button', { className: 'mlws-button mlws-small', type: 'button',
        'aria-label': `Refresh ${title.toLowerCase()}`, title: `Refresh ${title.toLowerCase()}`,
        onclick: onRefresh }, 'Refresh')));
}

/** A name that opens its view (when the panel can). */
function opener(text: string, attrs: Record<string, string>, open?: () => void): HTMLElement {
  return open ? h('button', { ...attrs, className: `mlws-link-button mlws-resource-name ${
    attrs.className ?? ''}`, type: 'button', title: `Open ${text}`, 'aria-label': `Open ${text}`,
  onclick: open }, text) : h('span', attrs, text);
}

export function computeSection(targets: ComputeTarget[] | Error, onRefresh: () => void,
  onStop?: (name: string) => Promise<void>, onOpen?: (name: string) => void,
  onNew?: () => void): HTMLElement {
  const section = h('section', { className: 'mlws-section mlws-compute-section',
    'aria-label': 'Compute' }, sectionHead('Compute', onRefresh, onNew));
  if (targets instanceof Error) {
    section.append(emptyState(`Compute targets could not be read: ${errorMessage(targets)}`));
  } else if (!targets.length) {
    section.append(emptyState('No compute targets.',
      'Create a cluster in a notebook: ComputeTarget.create(ws, "cpu", ' +
      'AmlCompute.provisioning_configuration(max_nodes=2)).'));
  } else {
    const error = h('p', { className: 'mlws-compute-error', role: 'alert' });
    const rows = targets.map(t => {
      const state = computeState(t);
      const cells: (string | HTMLElement)[] = [
        opener(t.name, { className: 'mlws-compute-name', 'data-compute': t.name },
          onOpen ? () => onOpen(t.name) : undefined),
        t.type, h('span', { className: `mlws-compute-state mlws-state-${state}` }, state),
        computeNodes(t)];
      if (onStop) {
        cells.push(isStoppable(t) ? stopButton(t, onStop, error) : '');
      }
      return cells;
    });
    const columns = ['Name', 'Type', 'State', 'Nodes', ...(onStop ? [''] : [])];
    // A cluster's row (with its Stop button) is wider than the sidebar at its default width:
    // it scrolls sideways instead of being cut off.
    section.append(h('div', { className: 'mlws-panel-table-scroll' },
      table(columns, rows, 'mlws-table mlws-compact mlws-compute-table')), error);
  }
  return section;
}

export function environmentsSection(
  registered: EnvironmentAsset[] | Error, built: BuiltEnvironment[] | Error,
  onRefresh: () => void, onOpen?: (name: string) => void
): HTMLElement {
  const section = h('section', { className: 'mlws-section mlws-env-section',
    'aria-label': 'Environments' }, sectionHead('Environments', onRefresh));
  if (registered instanceof Error) {
    section.append(emptyState(`Environments could not be read: ${errorMessage(registered)}`));
  } else if (!registered.length) {
    section.append(emptyState('No registered environments.',
      'Environment.from_pip_requirements("train", "requirements.txt").register(ws)'));
  } else {
    // all_versions lists one row per version; group them under the name, newest first.
    const versions = new Map<string, number[]>();
    for (const env of registered) {
      versions.set(env.name, [...(versions.get(env.name) ?? []), env.version]);
    }
    section.append(table(['Name', 'Versions'], [...versions].map(([name, vs]) => [
      opener(name, { 'data-environment': name }, onOpen ? () => onOpen(name) : undefined),
      vs.sort((a, b) => b - a).join(', ')]), 'mlws-table mlws-compact mlws-env-table'));
  }
  section.append(h('h4', { className: 'mlws-subhead' }, 'Built on this server'));
  if (built instanceof Error) {
    section.append(emptyState(`The build cache could not be read: ${errorMessage(built)}`));
  } else if (!built.length) {
    section.append(h('p', { className: 'mlws-muted mlws-indent' },
      'None yet: a run with an environment builds one (uv), later runs reuse it.'));
  } else {
    const sorted = [...built].sort((a, b) => (b.last_used_time ?? 0) - (a.last_used_time ?? 0));
    section.append(table(['Environment', 'Created', 'Last used'], sorted.map(b => [
      h('span', { title: b.path, 'data-hash': b.hash }, b.hash.slice(0, 12)),
      formatTime(b.created_time), formatTime(b.last_used_time)]),
    'mlws-table mlws-compact mlws-built-table'));
  }
  return section;
}

/** Latest version of each model (with its aliases) and each service's state, with buttons
 * opening the Models and Endpoints views. */
export function modelsSection(models: ModelVersion[] | Error, services: Service[] | Error,
  onRefresh: () => void, openModels: (name?: string) => void,
  openEndpoints: (name?: string) => void): HTMLElement {
  const open = (label: string, onclick: () => void): HTMLElement =>
    h('button', { className: 'mlws-button mlws-small', type: 'button', onclick }, label);
  const section = h('section', { className: 'mlws-section mlws-models-section',
    'aria-label': 'Models and endpoints' }, sectionHead('Models', onRefresh));
  if (models instanceof Error) {
    section.append(emptyState(`Models could not be read: ${errorMessage(models)}`));
  } else if (!models.length) {
    section.append(emptyState('No registered models.',
      'run.register_model("my-model", "outputs/model.pkl") or Model.register(ws, path, name)'));
  } else {
    section.append(table(['Model', 'Latest', 'Aliases'], models.map(m => [
      h('button', { className: 'mlws-link-button', type: 'button', 'data-model': m.name,
        onclick: () => openModels(m.name) }, m.name),
      String(m.version), m.aliases.join(', ')]), 'mlws-table mlws-compact'));
  }
  section.append(h('div', { className: 'mlws-toolbar' }, open('All models', () => openModels())),
    h('h4', { className: 'mlws-subhead' }, 'Endpoints'));
  if (services instanceof Error) {
    section.append(emptyState(`Endpoints could not be read: ${errorMessage(services)}`));
  } else if (!services.length) {
    section.append(h('p', { className: 'mlws-muted mlws-indent' }, 'No deployed services.'));
  } else {
    section.append(table(['Service', 'State'], services.map(s => [
      h('button', { className: 'mlws-link-button', type: 'button', 'data-service': s.name,
        onclick: () => openEndpoints(s.name) }, s.name),
      h('span', { className: `mlws-service-state mlws-state-${s.state}` }, s.state)]),
    'mlws-table mlws-compact'));
  }
  section.append(h('div', { className: 'mlws-toolbar' },
    open('All endpoints', () => openEndpoints())));
  return section;
}

/** Errors stay per section, so one failing route does not hide the others. */
const settle = <T>(p: Promise<T>): Promise<T | Error> =>
  p.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));

/** The sections the server supports, for workspace `ws`. */
export async function resourceSections(studio: Studio, ws: string, onRefresh: () => void):
Promise<HTMLElement[]> {
  const sections: Promise<HTMLElement>[] = [];
  if (studio.routes.has('/workspaces/{workspace_id}/computes')) {
    const onStop = studio.routes.has('/workspaces/{workspace_id}/computes/{compute_name}/stop')
      ? async (name: string) => {
        await studio.api.stopCompute(ws, name);
        onRefresh();
      } : undefined;
    const details = studio.routes.has(OPERATIONS.getComputeTarget.path);
    sections.push(settle(studio.api.listComputes(ws)).then(t => computeSection(t, onRefresh,
      onStop, details ? name => studio.openCompute(ws, name) : undefined,
      details ? () => void createComputeFlow(studio, ws, onRefresh) : undefined)));
  }
  if (studio.routes.has('/workspaces/{workspace_id}/environments')) {
    const built = studio.routes.has('/environments/built')
      ? settle(studio.api.listBuiltEnvironments()) : Promise.resolve([]);
    const details = studio.routes.has(OPERATIONS.getEnvironment.path);
    sections.push(Promise.all([settle(studio.api.listEnvironments(ws, true)), built])
      .then(([r, b]) => environmentsSection(r, b, onRefresh,
        details ? name => studio.openEnvironment(ws, name) : undefined)));
  }
  if (studio.routes.has(DATASETS_ROUTE)) {
    sections.push(dataSection(studio, ws, onRefresh));
  }
  if (studio.routes.has('/workspaces/{workspace_id}/models') &&
      studio.routes.has('/workspaces/{workspace_id}/services')) {
    sections.push(Promise.all([settle(studio.api.listModels(ws, { latest: true })),
      settle(studio.api.listServices(ws))]).then(([m, s]) => modelsSection(m, s, onRefresh,
      name => studio.openModels(ws, name), name => studio.openEndpoints(ws, name))));
  }
  const access = accessSection(studio, ws, onRefresh);
  const shown = await Promise.all(sections);
  const accessView = await access.catch(() => null);
  return accessView ? [...shown, accessView] : shown;
}
