// A registered environment in the main area: its versions, the package specification of the
// chosen one (pip and conda packages, channels, the full definition) and what this server
// built for it, with the build log.
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { clear, emptyState, errorMessage, formatTime, h } from '../common/dom';
import type { EnvironmentBuild as Build, EnvironmentDetails } from '../common/types';
import type { Studio } from './studio';


/** pip and conda packages of a v1 environment definition (python.condaDependencies). */
function packages(definition: Record<string, unknown>): { conda: string[]; pip: string[];
  channels: string[]; } {
  const python = (definition.python ?? {}) as Record<string, unknown>;
  const conda = (python.condaDependencies ?? {}) as Record<string, unknown>;
  const deps = Array.isArray(conda.dependencies) ? conda.dependencies : [];
  const pip: string[] = [];
  const plain: string[] = [];
  for (const d of deps) {
    if (typeof d === 'string') {
      plain.push(d);
    } else if (d && typeof d === 'object' && Array.isArray((d as { pip?: unknown }).pip)) {
      pip.push(...((d as { pip: unknown[] }).pip.map(String)));
    }
  }
  const channels = Array.isArray(conda.channels) ? conda.channels.map(String) : [];
  return { conda: plain, pip, channels };
}

function list(title: string, items: string[]): HTMLElement | null {
  return items.length ? h('div', { className: 'mlws-package-list' }, h('h4', null, title),
    h('ul', null, items.map(i => h('li', null, h('code', null, i))))) : null;
}

export class EnvironmentContent extends Widget {
  private body = h('div', { className: 'mlws-environment-details' });
  private versions = h('select', { className: 'mlws-input', 'aria-label': 'Version' });

  constructor(private studio: Studio, private ws: string, readonly name: string) {
    super();
    this.addClass('mlws-environment-view');
    this.versions.addEventListener('change', () => void this.showVersion(Number(this.versions.value)));
    this.node.append(h('div', { className: 'mlws-toolbar' },
      h('h2', { className: 'mlws-run-title' }, name),
      h('label', null, 'Version ', this.versions)), this.body);
    void this.init();
  }

  private async init(): Promise<void> {
    try {
      const all = (await this.studio.api.listEnvironments(this.ws, true))
        .filter(e => e.name === this.name).map(e => e.version).sort((a, b) => b - a);
      this.versions.replaceChildren(...all.map(v => h('option', { value: v }, String(v))));
      await this.showVersion(all[0]);
    } catch (err) {
      this.body.replaceChildren(emptyState(`The environment could not be read: ` +
        errorMessage(err)));
    }
  }

  private async showVersion(version: number | undefined): Promise<void> {
    let env: EnvironmentDetails;
    try {
      env = await this.studio.api.getEnvironment(this.ws, this.name, version);
    } catch (err) {
      clear(this.body);
      this.body.append(emptyState(errorMessage(err)));
      return;
    }
    const definition = env.definition ?? {};
    const { conda, pip, channels } = packages(definition);
    const python = (definition.python ?? {}) as Record<string, unknown>;
    clear(this.body);
    const spec = h('section', { className: 'mlws-section' }, h('h3', null, 'Specification'),
      env.description ? h('p', null, env.description) : null,
      python.userManagedDependencies
        ? h('p', null, 'User-managed: runs use the interpreter ',
          h('code', null, String(python.interpreterPath ?? 'python')), ' as it is.')
        : null,
      list('pip packages', pip), list('conda packages', conda), list('conda channels', channels),
      !pip.length && !conda.length && !python.userManagedDependencies
        ? h('p', { className: 'mlws-muted' }, 'No packages beyond Python itself.') : null,
      h('details', null, h('summary', null, 'Full definition'),
        h('pre', { className: 'mlws-pre' }, JSON.stringify(definition, null, 2))));
    this.body.append(spec, await this.buildSection(env.build));
  }

  private async buildSection(build: Build): Promise<HTMLElement> {
    const section = h('section', { className: 'mlws-section mlws-env-build' },
      h('h3', null, 'On this server'));
    if (build.error) {
      section.append(h('p', { className: 'mlws-error' }, build.error));
      return section;
    }
    if (!build.hash) {
      section.append(h('p', { className: 'mlws-muted' },
        'Nothing to build: runs use the given interpreter.'));
      return section;
    }
    section.append(h('p', null, 'uv environment ', h('code', { title: build.hash },
      build.hash.slice(0, 12)), build.spec?.requirements ? ` (${(build.spec.requirements as
      string[]).join(', ') || 'no requirements'})` : ''));
    if (!build.built) {
      section.append(h('p', { className: 'mlws-muted' },
        'Not built yet: the first run with this environment builds it (uv), later runs ' +
        'reuse it.'));
      return section;
    }
    section.append(h('p', null, `Built ${formatTime(build.built.created_time)}` +
      (build.built.build_seconds ? ` in ${build.built.build_seconds} s` : '') +
      `, last used ${formatTime(build.built.last_used_time)}.`));
    if (build.built.has_build_log) {
      try {
        const { log } = await this.studio.api.getBuildLog(build.built.hash);
        section.append(h('h4', null, 'Build log'),
          h('pre', { className: 'mlws-pre mlws-log mlws-build-log' }, log));
      } catch (err) {
        section.append(h('p', { className: 'mlws-error' }, errorMessage(err)));
      }
    }
    return section;
  }
}

export class EnvironmentWidget extends MainAreaWidget<EnvironmentContent> {
  mlwsOwner?: { workspaceId: string; experiment?: string };

  constructor(studio: Studio, ws: string, name: string) {
    super({ content: new EnvironmentContent(studio, ws, name) });
    this.title.label = `Environment: ${name}`;
    this.title.closable = true;
  }
}
