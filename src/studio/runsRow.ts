// One row of the runs table: its selection box and cells; a click (or Enter) opens the run,
// a right-click opens the runs menu on it.
import { h } from '../common/dom';
import { type Row, cell } from './runColumns';

export interface RowHandlers {
  selected: boolean;
  /** The box was (un)checked. */
  select: (on: boolean) => void;
  open: () => void;
  contextMenu: (ev: MouseEvent) => void;
}

/** Row `row` at position `i` (`top` in px) with `columns` laid out by `template`. */
export function runRow(row: Row, top: number, template: string, columns: string[],
  on: RowHandlers): HTMLElement {
  const name = String(row.get('attributes.display_name') || row.id);
  const box = h('input', {
    type: 'checkbox', 'aria-label': `Select run ${name}`,
    onclick: (ev: Event) => ev.stopPropagation(),
    onchange: () => on.select(box.checked)
  });
  box.checked = on.selected;
  const parent = row.get('attributes.parent_run_id');
  return h('div', {
    className: `mlws-runs-row${on.selected ? ' mlws-row-selected' : ''}`,
    role: 'row', tabindex: 0, 'data-run-id': row.id,
    style: `top: ${top}px; grid-template-columns: ${template}`,
    onclick: () => on.open(),
    onkeydown: (ev: Event) => {
      if ((ev as KeyboardEvent).key === 'Enter') {
        on.open();
      }
    },
    oncontextmenu: (ev: Event) => {
      ev.preventDefault();
      on.contextMenu(ev as MouseEvent);
    }
  }, h('span', { className: 'mlws-runs-select' }, box), columns.map(key =>
    h('span', { className: 'mlws-cell', 'data-column': key },
      cell(key, row.get(key), key === 'attributes.display_name' ? parent : undefined))));
}
