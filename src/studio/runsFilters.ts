// The runs table's filters: search, status, the value query (metrics.accuracy > 0.9 and
// tags.team = 'vision', evaluated by the store), child runs, and the analysis panel's switch.
import { h } from '../common/dom';
import type { TableView } from './runColumns';

const STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Queued', 'Preparing',
  'Starting', 'NotStarted', 'Finalizing', 'CancelRequested'];
const QUERY_HELP = 'A value query over metrics.<name>, tags.<key>, properties.<key> and run ' +
  'fields (status, number, duration, created_time, user, ...) with = != < <= > >=, in (...), ' +
  'contains, is null, and, or, not. Enter applies.';

export function filtersBar(view: TableView, change: (patch: Partial<TableView>) => void,
  analysis: (on: boolean) => void): HTMLElement {
  let debounce: ReturnType<typeof setTimeout> | null = null;
  const search = h('input', {
    className: 'mlws-input', type: 'search', placeholder: 'Search name or id',
    'aria-label': 'Search runs', value: view.text,
    oninput: () => {
      if (debounce) {
        clearTimeout(debounce);
      }
      debounce = setTimeout(() => change({ text: search.value.trim() }), 250);
    }
  });
  const status = h('select', {
    className: 'mlws-input', 'aria-label': 'Filter by status',
    onchange: () => change({ status: status.value })
  }, h('option', { value: '' }, 'Any status'), STATUSES.map(s => h('option', { value: s }, s)));
  status.value = view.status;
  const query = h('input', {
    className: 'mlws-input mlws-query-input', type: 'search', value: view.filter,
    placeholder: 'Query: metrics.accuracy > 0.9 and tags.team = \'vision\'',
    'aria-label': 'Query runs', title: QUERY_HELP,
    onkeydown: (ev: Event) => {
      if ((ev as KeyboardEvent).key === 'Enter') {
        change({ filter: query.value.trim() });
      }
    },
    onsearch: () => {
      if (!query.value) {
        change({ filter: '' });
      }
    }
  });
  const children = h('input', { type: 'checkbox', 'aria-label': 'Include child runs',
    onchange: () => change({ includeChildren: children.checked }) });
  children.checked = view.includeChildren;
  const analysisBox = h('input', { type: 'checkbox', 'aria-label': 'Show analysis',
    onchange: () => analysis(analysisBox.checked) });
  analysisBox.checked = view.analysis;
  return h('div', { className: 'mlws-toolbar' }, search, status, query,
    h('label', null, children, ' Include child runs'), h('label', null, analysisBox, ' Analysis'));
}
