// The RunDetails notebook widget (anywidget ES module): the studio's run view over the comm.
import uplotCss from 'uplot/dist/uPlot.min.css';
import baseCss from '../../style/base.css';
import { h } from '../common/dom';
import { RunView } from '../common/runView';
import type { RunDataSource } from '../common/source';
import { type AnyModel, CommRunSource } from './commSource';
import { type RestConnection, restConnection } from './restSource';

const STYLE_ID = 'mlws-run-details-style';

function injectStyles(): void {
  // One <style> per page: every widget instance shares it.
  if (!document.getElementById(STYLE_ID)) {
    document.head.appendChild(h('style', { id: STYLE_ID }, uplotCss + '\n' + baseCss));
  }
}

function render({ model, el }: { model: AnyModel; el: HTMLElement }): () => void {
  injectStyles();
  const source = new CommRunSource(model);
  const banner = h('div', { className: 'mlws-widget-banner' });
  const updateBanner = (): void => {
    banner.textContent = '';
    const error = model.get('error');
    if (typeof error === 'string' && error) {
      banner.append(h('p', { className: 'mlws-error', role: 'alert' }, error));
    }
    const url = source.labUrl();
    if (url) {
      banner.append(h('a', { href: url, target: '_blank', className: 'mlws-link' },
        'View Run Details'));
    }
  };
  model.on('change:error', updateBanner);
  model.on('change:lab_url', updateBanner);
  updateBanner();
  el.classList.add('mlws-run-details');
  el.append(banner);
  // The widget's run, or a descendant opened from Child Runs / a parent link, shown in place.
  const rootId = String(model.get('run_id') ?? '');
  let rest: RestConnection | null = null;
  let disposed = false;
  let current: { view: RunView; source: RunDataSource & { dispose?: () => void };
    back: HTMLElement | null; } | null = null;
  const show = (runId: string): void => {
    if (current) {
      current.view.node.remove();
      current.back?.remove();
      current.view.dispose();
      current.source.dispose?.();
    }
    const child = runId === rootId ? null : runId;
    let source: RunDataSource & { dispose?: () => void };
    if (rest) {
      source = rest.source(runId, show);
    } else {
      const comm = new CommRunSource(model, child);
      comm.openRun = show;
      source = comm;
    }
    el.dataset.live = rest ? rest.live.kind : 'comm';
    const view = new RunView(source, {});
    const back = child
      ? h('button', { className: 'mlws-button mlws-small', type: 'button',
        onclick: () => show(rootId) }, '← Back to the widget\'s run')
      : null;
    current = { view, source, back };
    el.append(...(back ? [back] : []), view.node);
    void view.start();
  };
  // REST when the page's server has the run (works while the kernel is busy), else the comm.
  void restConnection(String(model.get('workspace_id') ?? ''), rootId).then(connection => {
    if (!disposed) {
      rest = connection;
      show(rootId);
    }
  });
  return () => {
    disposed = true;
    model.off('change:error', updateBanner);
    model.off('change:lab_url', updateBanner);
    if (current) {
      current.view.dispose();
      current.source.dispose?.();
    }
  };
}

export default { render };
