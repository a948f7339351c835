// The "Endpoints" view: deployed services with their state and scoring URI; the selected one's
// replicas, monitoring figures (requests, errors, latency percentiles) with live charts, a test
// console that sends a request through the server, its collected data as dataset versions
// (collectedData.ts) and its logs. Refreshes every 2 s while shown; the console is never
// re-rendered under the user's fingers.
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { MetricChart, type SeriesPoints } from '../common/chart';
import { clear, emptyState, errorMessage, formatTime, h, table } from '../common/dom';
import type { Service, ServiceDrift, ServiceMetrics } from '../common/types';
import { CollectedDataPart } from './collectedData';
import { confirmDialog } from './dialogs';
import { endpointIcon } from './icons';
import type { Studio } from './studio';

const REFRESH_MS = 2000;
const DRIFT_MS = 10000; // drift reads the collected files: less often than the figures
const CHART = { xMode: 'time' as const, log: false, smoothing: 0 };

function state(service: Service): HTMLElement {
  return h('span', { className: `mlws-service-state mlws-state-${service.state}`,
    'data-state': service.state }, service.state);
}

function series(label: string, time: number[], values: (number | null)[]): SeriesPoints {
  return { label, step: time.map(() => null), time, value: values };
}

function driftView(d: ServiceDrift): HTMLElement[] {
  const num = (v: number | null) => (v === null ? '—' : v.toPrecision(3));
  const b = d.baseline_dataset;
  return [h('p', { className: d.drifted ? 'mlws-error' : 'mlws-muted',
    'data-drifted': String(d.drifted) },
  `${d.rows_current} collected rows against ${String(b.name)}:${String(b.version)} ` +
    `(${d.rows_baseline} rows): ` +
    (d.drifted ? `drift in ${d.drifted_features.join(', ')}` : 'no drift')),
  table(['Feature', 'Test', 'Statistic', 'p-value', 'PSI', 'Rows', 'Drifted'],
    d.features.map(f => [f.feature, f.test ?? '—', num(f.statistic), num(f.p_value),
      num(f.psi), String(f.n_current), f.drifted ? 'yes' : 'no']),
    'mlws-table mlws-compact mlws-drift')];
}

function figures(m: ServiceMetrics): HTMLElement {
  const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)} ms`);
  const cells: [string, string][] = [
    ['Requests', String(m.requests)], ['Errors', String(m.errors)],
    ['Error rate', `${(m.error_rate * 100).toFixed(1)} %`],
    ['Requests/s', m.requests_per_second.toFixed(2)], ['p50', ms(m.latency_p50_ms)],
    ['p95', ms(m.latency_p95_ms)], ['p99', ms(m.latency_p99_ms)]];
  return h('div', { className: 'mlws-figures' }, cells.map(([k, v]) =>
    h('div', { className: 'mlws-figure', 'data-figure': k },
      h('div', { className: 'mlws-figure-value' }, v),
      h('div', { className: 'mlws-muted' }, k))));
}

export class EndpointsView extends Widget {
  private list = h('div', { className: 'mlws-endpoints-list' });
  private detail = h('div', { className: 'mlws-endpoint-detail' });
  private summary = h('div');
  private monitoring = h('div', { className: 'mlws-endpoint-monitoring' });
  private logs = h('pre', { className: 'mlws-pre mlws-endpoint-logs' });
  private console = h('div', { className: 'mlws-console' });
  private drift = h('div', { className: 'mlws-endpoint-drift' });
  private collected: CollectedDataPart;
  private driftRead = 0;
  private charts = { traffic: new MetricChart('Requests and errors per second', CHART,
    { yLabel: 'per second' }), latency: new MetricChart('Latency (ms)', CHART, { yLabel: 'ms' }) };
  private services: Service[] = [];
  private selected: string | null;
  private shown: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private busy = false;

  constructor(private studio: Studio, readonly workspaceId: string, selected?: string) {
    super();
    this.addClass('mlws-endpoints-view');
    this.selected = selected ?? null;
    this.collected = new CollectedDataPart(studio, workspaceId);
    this.node.append(h('div', { className: 'mlws-section-head' }, h('h2', null, 'Endpoints'),
      h('button', { className: 'mlws-button mlws-small', type: 'button',
        'aria-label': 'Refresh endpoints', onclick: () => void this.refresh() }, 'Refresh')),
    this.list, this.detail);
    void this.refresh();
  }

  protected onAfterAttach(): void {
    this.timer = setInterval(() => {
      if (this.isVisible && !document.hidden) {
        void this.refresh();
      }
    }, REFRESH_MS);
  }

  protected onBeforeDetach(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
  }

  dispose(): void {
    this.charts.traffic.dispose();
    this.charts.latency.dispose();
    super.dispose();
  }

  async refresh(): Promise<void> {
    if (this.busy) {
      return;
    }
    this.busy = true;
    try {
      await this.studio.routesKnown; // the collected-data part shows only with its route
      this.services = await this.studio.api.listServices(this.workspaceId);
      this.renderList();
      const service = this.services.find(s => s.name === this.selected) ?? this.services[0];
      if (service) {
        await this.showService(service);
      } else {
        clear(this.detail);
        this.shown = null;
      }
    } catch (err) {
      clear(this.list);
      this.list.append(emptyState(`The endpoints could not be read: ${errorMessage(err)}`));
    } finally {
      this.busy = false;
    }
  }

  private renderList(): void {
    clear(this.list);
    if (!this.services.length) {
      this.list.append(emptyState('No deployed services.',
        'In a notebook: Model.deploy(ws, "my-service", [model], inference_config, ' +
        'LocalWebservice.deploy_configuration()).'));
      return;
    }
    this.list.append(table(['Name', 'Type', 'State', 'Scoring URI', 'Models', 'Replicas'],
      this.services.map(s => [
        h('button', { className: 'mlws-link-button mlws-endpoint-open', type: 'button',
          'data-service': s.name, onclick: () => {
            this.selected = s.name;
            void this.refresh();
          } }, s.name),
        s.compute_type, state(s), s.scoring_uri ? h('code', null, s.scoring_uri) : '—',
        s.models.join(', '), String(s.replicas.length)]),
    'mlws-table mlws-endpoints-table'));
  }

  private async showService(service: Service): Promise<void> {
    this.selected = service.name;
    if (this.shown !== service.name) {
      this.shown = service.name;
      this.driftRead = 0;
      clear(this.detail);
      this.detail.dataset.service = service.name;
      this.renderConsole(service.name);
      this.detail.append(this.summary, this.monitoring, this.charts.traffic.node,
        this.charts.latency.node, h('h4', { className: 'mlws-subhead' }, 'Data drift'),
        this.drift, ...(this.collected.available ? [h('h4', { className: 'mlws-subhead' },
          'Collected data'), this.collected.node] : []),
        h('h4', { className: 'mlws-subhead' }, 'Test console'),
        this.console, h('h4', { className: 'mlws-subhead' }, 'Logs'), this.logs);
    }
    this.renderSummary(service);
    const ws = this.workspaceId;
    const [metrics, logs] = await Promise.all([
      this.studio.api.getServiceMetrics(ws, service.name).catch((e: unknown) => e as Error),
      this.studio.api.getServiceLogs(ws, service.name).catch((e: unknown) => e as Error),
      this.collected.refresh(service.name)]);
    clear(this.monitoring);
    if (metrics instanceof Error) {
      this.monitoring.append(emptyState(`Monitoring: ${errorMessage(metrics)}`));
    } else {
      this.monitoring.append(figures(metrics));
      const t = metrics.series.time;
      this.charts.traffic.setSeries([series('requests', t, metrics.series.requests),
        series('errors', t, metrics.series.errors)]);
      this.charts.latency.setSeries([series('p50', t, metrics.series.latency_p50_ms),
        series('p95', t, metrics.series.latency_p95_ms),
        series('p99', t, metrics.series.latency_p99_ms)]);
    }
    this.logs.textContent = logs instanceof Error ? errorMessage(logs) : logs;
    if (Date.now() - this.driftRead >= DRIFT_MS) {
      this.driftRead = Date.now();
      const drift = await this.studio.api.getServiceDrift(ws, service.name)
        .catch((e: unknown) => e as Error);
      clear(this.drift);
      this.drift.append(...(drift instanceof Error
        ? [h('p', { className: 'mlws-muted' }, errorMessage(drift))] : driftView(drift)));
    }
  }

  private renderSummary(s: Service): void {
    clear(this.summary);
    const entries: [string, string | Node][] = [
      ['State', state(s)], ['Type', s.compute_type],
      ['Scoring URI', s.scoring_uri ? h('code', null, s.scoring_uri) : '—'],
      ['Swagger', s.swagger_uri ? h('code', null, s.swagger_uri) : '—'],
      ['Key auth', s.auth_enabled ? 'on' : 'off'], ['Models', s.models.join(', ')],
      ['Compute target', s.compute_target ?? 'this machine'],
      ['Replica restarts', String(s.restarts)],
      ['Created', `${formatTime(s.created_time)} by ${s.created_by}`]];
    const del = h('button', { className: 'mlws-button mlws-small mlws-danger', type: 'button',
      onclick: () => void this.remove(s.name) }, 'Delete service');
    this.summary.append(h('div', { className: 'mlws-section-head' }, h('h3', null, s.name), del),
      h('div', { className: 'mlws-kv' }, entries.flatMap(([k, v]) => [
        h('div', { className: 'mlws-kv-key' }, k), h('div', { className: 'mlws-kv-value' }, v)])));
    if (s.error) {
      this.summary.append(h('p', { className: 'mlws-error', role: 'alert' },
        h('strong', null, String(s.error.code ?? 'Error')), ': ', String(s.error.message ?? '')));
    }
    if (s.replicas.length) {
      this.summary.append(table(['Replica', 'PID', 'State', 'Restarts'], s.replicas.map(r => [
        String(r.id ?? ''), String(r.pid ?? ''), String(r.state ?? ''),
        String(r.restarts ?? 0)]), 'mlws-table mlws-compact mlws-replicas'));
    }
  }

  private renderConsole(name: string): void {
    clear(this.console);
    const input = h('textarea', { className: 'mlws-input mlws-console-input', rows: 4,
      'aria-label': 'Request body' });
    input.value = '{"data": [[1.0, 2.0]]}';
    const answer = h('pre', { className: 'mlws-pre mlws-console-answer' });
    const send = h('button', { className: 'mlws-button mlws-primary', type: 'button',
      onclick: async () => {
        answer.textContent = 'Sending…';
        try {
          const a = await this.studio.api.scoreService(this.workspaceId, name, input.value);
          answer.dataset.status = String(a.status);
          answer.textContent = `HTTP ${a.status} in ${a.latency_ms.toFixed(1)} ms\n${a.body}`;
        } catch (err) {
          answer.dataset.status = 'error';
          answer.textContent = errorMessage(err);
        }
        void this.refresh();
      } }, 'Send');
    this.console.append(input, h('div', { className: 'mlws-toolbar' }, send), answer);
  }

  private async remove(name: string): Promise<void> {
    if (!(await confirmDialog('Delete service',
      `Stop and delete ${name}? Its monitoring run and figures are kept.`))) {
      return;
    }
    try {
      await this.studio.api.deleteService(this.workspaceId, name);
      this.shown = null;
      await this.refresh();
    } catch (err) {
      this.studio.notifyError('Deleting the service failed', err);
    }
  }
}

export class EndpointsWidget extends MainAreaWidget<EndpointsView> {
  constructor(studio: Studio, workspaceId: string, selected?: string) {
    super({ content: new EndpointsView(studio, workspaceId, selected) });
    this.title.label = 'Endpoints';
    this.title.icon = endpointIcon;
    this.title.closable = true;
  }
}
