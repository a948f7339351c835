// Parallel coordinates of many runs on one canvas: a vertical axis per dimension, a line per
// run coloured by a chosen column; drag along an axis to brush a range (several axes combine),
// click an axis to clear its brush. 10,000 runs x 20 axes draw in tens of milliseconds: lines
// are batched into one path per colour band.
import { shortNumber } from '../chartMath';
import { cssVar, h } from '../dom';
import { CanvasPlot } from './canvasPlot';
import { type Dimension, position, ramp, valueAt } from './dimensions';

const TOP = 46;
const BOTTOM = 26;
const SIDE = 48;
const HEIGHT = 320;
const BANDS = 12;
const GRAB = 14; // px either side of an axis that start a brush
const SNAP_PX = 8;

export type BrushListener = (ids: Set<string> | null) => void;

function tickText(d: Dimension, v: number): string {
  if (d.kind === 'category') {
    return d.categories[Math.round(v)] ?? '';
  }
  return shortNumber(v);
}

export class ParallelCoordinates extends CanvasPlot {
  private dims: Dimension[] = [];
  private ids: string[] = [];
  private color: Dimension | null = null;
  /** Brushed ranges per dimension key, as 0..1 positions [low, high]. */
  private brushes = new Map<string, [number, number]>();
  private drag: { key: string; start: number; moved: boolean } | null = null;
  private frame = 0;

  constructor(private onBrush: BrushListener) {
    super('mlws-parallel', 'Parallel coordinates of the runs', HEIGHT);
  }

  protected resized(): void {
    this.schedule();
  }

  setData(ids: string[], dims: Dimension[], color: Dimension | null): void {
    this.ids = ids;
    this.dims = dims;
    this.color = color;
    const keys = new Set(dims.map(d => d.key));
    for (const key of [...this.brushes.keys()]) {
      if (!keys.has(key)) {
        this.brushes.delete(key);
      }
    }
    this.node.dataset.lines = String(ids.length);
    this.draw();
  }

  /** The runs inside every brush (all of them when nothing is brushed). */
  selected(): Set<string> | null {
    if (!this.brushes.size) {
      return null;
    }
    const out = new Set<string>();
    const active = this.dims.filter(d => this.brushes.has(d.key));
    for (let i = 0; i < this.ids.length; i++) {
      if (active.every(d => this.inside(d, i))) {
        out.add(this.ids[i]);
      }
    }
    return out;
  }

  clearBrushes(): void {
    this.brushes.clear();
    this.draw();
    this.onBrush(null);
  }

  private inside(d: Dimension, i: number): boolean {
    const range = this.brushes.get(d.key);
    const v = d.values[i];
    if (!range) {
      return true;
    }
    if (v === null) {
      return false;
    }
    const p = position(d, v);
    return p >= range[0] - 1e-9 && p <= range[1] + 1e-9;
  }

  private axisX(i: number, width: number): number {
    return this.dims.length <= 1 ? width / 2
      : SIDE + (i * (width - 2 * SIDE)) / (this.dims.length - 1);
  }

  private schedule(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.draw());
  }

  draw(): void {
    const { ctx, width } = this.fit(HEIGHT);
    if (!ctx) {
      return;
    }
    const plotH = HEIGHT - TOP - BOTTOM;
    const ys = (d: Dimension, v: number): number => TOP + (1 - position(d, v)) * plotH;
    const xs = this.dims.map((_, i) => this.axisX(i, width));
    const faded = new Path2D();
    const bands = Array.from({ length: BANDS }, () => new Path2D());
    const plain = new Path2D();
    let selected = 0;
    const active = this.dims.filter(d => this.brushes.has(d.key));
    for (let i = 0; i < this.ids.length; i++) {
      const inside = active.every(d => this.inside(d, i));
      let target: Path2D;
      if (!inside) {
        target = faded;
      } else {
        selected++;
        const c = this.color?.values[i];
        target = this.color && c !== null && c !== undefined
          ? bands[Math.min(BANDS - 1, Math.floor(position(this.color, c) * BANDS))] : plain;
      }
      let pen = false;
      for (let k = 0; k < this.dims.length; k++) {
        const v = this.dims[k].values[i];
        if (v === null) {
          pen = false;
          continue;
        }
        const y = ys(this.dims[k], v);
        if (pen) {
          target.lineTo(xs[k], y);
        } else {
          target.moveTo(xs[k], y);
          pen = true;
        }
      }
    }
    const alpha = this.ids.length > 2000 ? 0.25 : this.ids.length > 300 ? 0.45 : 0.8;
    ctx.lineWidth = 1;
    ctx.strokeStyle = cssVar(this.node, '--jp-border-color1', '#bbb');
    ctx.globalAlpha = 0.35;
    ctx.stroke(faded);
    ctx.globalAlpha = alpha;
    ctx.strokeStyle = cssVar(this.node, '--jp-brand-color1', '#1976d2');
    ctx.stroke(plain);
    bands.forEach((path, b) => {
      ctx.strokeStyle = ramp((b + 0.5) / BANDS);
      ctx.stroke(path);
    });
    ctx.globalAlpha = 1;
    // Axes on top of the lines.
    ctx.strokeStyle = cssVar(this.node, '--jp-ui-font-color2', '#666');
    for (const x of xs) {
      ctx.beginPath();
      ctx.moveTo(x, TOP);
      ctx.lineTo(x, TOP + plotH);
      ctx.stroke();
    }
    this.node.dataset.selected = String(selected);
    this.renderOverlay(xs, plotH, width);
  }

  private renderOverlay(xs: number[], plotH: number, width: number): void {
    this.overlay.replaceChildren();
    const slot = this.dims.length > 1 ? (width - 2 * SIDE) / (this.dims.length - 1) : width;
    this.dims.forEach((d, i) => {
      const x = xs[i];
      const labelWidth = Math.max(60, Math.min(160, slot - 6));
      const place = (el: HTMLElement, top: number): HTMLElement => {
        el.style.left = `${x - labelWidth / 2}px`;
        el.style.top = `${top}px`;
        el.style.width = `${labelWidth}px`;
        return el;
      };
      this.overlay.append(place(h('div', { className: 'mlws-pc-label', title: d.label,
        'data-axis': d.key }, d.label), 4));
      const top = d.kind === 'category' ? d.categories[d.categories.length - 1] : tickText(d, d.max);
      const bottom = d.kind === 'category' ? d.categories[0] : tickText(d, d.min);
      this.overlay.append(place(h('div', { className: 'mlws-pc-tick' }, top ?? ''), TOP - 16),
        place(h('div', { className: 'mlws-pc-tick' }, bottom ?? ''), TOP + plotH + 3));
      if (d.kind === 'category' && d.categories.length > 2 && d.categories.length <= 12) {
        d.categories.slice(1, -1).forEach((c, k) => {
          const y = TOP + (1 - position(d, k + 1)) * plotH - 7;
          const tick = h('div', { className: 'mlws-pc-tick mlws-pc-category' }, c);
          tick.style.left = `${x + 4}px`;
          tick.style.top = `${y}px`;
          this.overlay.append(tick);
        });
      }
      const range = this.brushes.get(d.key);
      if (range) {
        const brush = h('div', { className: 'mlws-pc-brush', 'data-axis': d.key,
          title: `${tickText(d, valueAt(d, range[0]))} to ${tickText(d, valueAt(d, range[1]))}` +
            ' (click the axis to clear)' });
        brush.style.left = `${x - 7}px`;
        brush.style.top = `${TOP + (1 - range[1]) * plotH}px`;
        brush.style.height = `${Math.max(2, (range[1] - range[0]) * plotH)}px`;
        this.overlay.append(brush);
      }
    });
  }

  private positionAt(ev: MouseEvent): { x: number; p: number } {
    const plotH = HEIGHT - TOP - BOTTOM;
    const { x, y } = this.local(ev);
    return { x, p: Math.min(1, Math.max(0, 1 - (y - TOP) / plotH)) };
  }

  protected dragStart(ev: MouseEvent): void {
    const width = Math.max(this.node.clientWidth, 320);
    const { x, p } = this.positionAt(ev);
    const i = this.dims.findIndex((_, k) => Math.abs(this.axisX(k, width) - x) <= GRAB);
    if (i < 0) {
      return;
    }
    ev.preventDefault();
    this.drag = { key: this.dims[i].key, start: p, moved: false };
  }

  protected dragMove(ev: MouseEvent): void {
    if (!this.drag) {
      return;
    }
    const { p } = this.positionAt(ev);
    if (Math.abs(p - this.drag.start) > 0.01) {
      this.drag.moved = true;
    }
    if (this.drag.moved) {
      // A brush dragged to within a few pixels of an axis end reaches the end (its extreme
      // value sits exactly there).
      const snap = SNAP_PX / (HEIGHT - TOP - BOTTOM);
      let low = Math.min(p, this.drag.start);
      let high = Math.max(p, this.drag.start);
      low = low <= snap ? 0 : low;
      high = high >= 1 - snap ? 1 : high;
      this.brushes.set(this.drag.key, [low, high]);
      this.schedule();
    }
  }

  protected dragEnd(): void {
    if (!this.drag) {
      return;
    }
    if (!this.drag.moved) {
      this.brushes.delete(this.drag.key); // a click clears the axis
    }
    this.drag = null;
    this.draw();
    this.onBrush(this.selected());
  }

  /** Brush a dimension by value (keyboard and tests: the same as dragging on its axis). */
  brush(key: string, low: number, high: number): void {
    const d = this.dims.find(x => x.key === key);
    if (!d) {
      return;
    }
    const a = position(d, low);
    const b = position(d, high);
    this.brushes.set(key, [Math.min(a, b), Math.max(a, b)]);
    this.draw();
    this.onBrush(this.selected());
  }
}
