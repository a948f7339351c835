// The runs table's header row: sort by a column (on the server), resize it by its handle,
// move it by dragging its header onto another, hide it from its right-click menu, select all.
import { clear, h } from '../common/dom';
import { type TableView, clampWidth, columnsTemplate, headerLabel, orderKeyOf } from './runColumns';

export interface HeaderHost {
  view(): TableView;
  sort(orderBy: string, descending: boolean): void;
  /** A width changed while dragging (rows follow). */
  widths(): void;
  /** A drag ended: save the view. */
  saved(): void;
  move(key: string, before: string): void;
  columnMenu(key: string, label: string, ev: MouseEvent): void;
  selectAll(on: boolean): Promise<void>;
}

export class RunsHeader {
  readonly node = h('div', { className: 'mlws-runs-row mlws-runs-head', role: 'row' });
  private justMoved = false;

  constructor(private host: HeaderHost) {}

  render(): void {
    const view = this.host.view();
    clear(this.node);
    this.node.style.gridTemplateColumns = columnsTemplate(view.columns);
    const all = h('input', { type: 'checkbox', 'aria-label': 'Select all runs',
      onchange: () => void this.host.selectAll(all.checked) });
    this.node.append(h('span', { className: 'mlws-runs-select' }, all));
    for (const col of view.columns) {
      const order = orderKeyOf(col.key);
      const sorted = order !== null && order === view.orderBy;
      const label = headerLabel(col.key);
      const cell = h('div', { className: 'mlws-runs-headcell', role: 'columnheader',
        'data-column': col.key, title: `${col.key}` + (order ? '' : ' (not sortable)'),
        'aria-sort': sorted ? (view.descending ? 'descending' : 'ascending') : 'none',
        oncontextmenu: (ev: Event) => {
          ev.preventDefault();
          this.host.columnMenu(col.key, label, ev as MouseEvent);
        } });
      cell.append(order
        ? h('button', {
          className: 'mlws-runs-sort', type: 'button', 'aria-label': label,
          onclick: () => this.host.sort(order, sorted ? !view.descending : true)
        }, label + (sorted ? (view.descending ? ' ▼' : ' ▲') : ''))
        : h('span', { className: 'mlws-runs-sort mlws-muted' }, label));
      const handle = h('span', { className: 'mlws-col-resize', role: 'separator',
        'aria-label': `Resize ${label}`, 'aria-orientation': 'vertical' });
      handle.addEventListener('pointerdown', ev => this.resize(col.key, ev));
      handle.addEventListener('mousedown', ev => ev.stopPropagation());
      cell.append(handle);
      cell.addEventListener('pointerdown', ev => this.startMove(col.key, ev));
      cell.addEventListener('click', ev => {
        if (this.justMoved) {
          // The pointer-up that ended a move is not a click on the sort button.
          ev.stopPropagation();
          ev.preventDefault();
          this.justMoved = false;
        }
      }, true);
      this.node.append(cell);
    }
  }

  /** Drag a header sideways onto another to move its column there (pointer events: the
   * header holds a button, which HTML5 drag and drop would not start from). */
  private startMove(key: string, ev: PointerEvent): void {
    if (ev.button !== 0 || (ev.target as HTMLElement).closest('.mlws-col-resize')) {
      return;
    }
    const startX = ev.clientX;
    let moving = false;
    let over: HTMLElement | null = null;
    const target = (e: PointerEvent): HTMLElement | null => {
      const hit = document.elementFromPoint(e.clientX, e.clientY);
      return (hit?.closest('.mlws-runs-headcell') as HTMLElement | null) ?? null;
    };
    const move = (e: PointerEvent): void => {
      if (!moving && Math.abs(e.clientX - startX) > 6) {
        moving = true;
        this.node.classList.add('mlws-moving-column');
      }
      if (moving) {
        over?.classList.remove('mlws-drop-target');
        over = target(e);
        if (over && over.dataset.column !== key) {
          over.classList.add('mlws-drop-target');
        }
      }
    };
    const up = (e: PointerEvent): void => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      this.node.classList.remove('mlws-moving-column');
      over?.classList.remove('mlws-drop-target');
      const dropped = moving ? target(e)?.dataset.column : undefined;
      if (moving) {
        this.justMoved = true;
        setTimeout(() => { this.justMoved = false; }, 0);
      }
      if (dropped && dropped !== key) {
        this.host.move(key, dropped);
      }
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  private resize(key: string, ev: PointerEvent): void {
    ev.preventDefault();
    ev.stopPropagation();
    const view = this.host.view();
    const col = view.columns.find(c => c.key === key);
    if (!col) {
      return;
    }
    const startX = ev.clientX;
    const startWidth = col.width;
    const move = (e: PointerEvent): void => {
      col.width = clampWidth(startWidth + e.clientX - startX);
      this.node.style.gridTemplateColumns = columnsTemplate(view.columns);
      this.host.widths();
    };
    const up = (): void => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      this.host.saved();
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }
}
