// A scatter plot of two columns over many runs (canvas): a point per run, coloured by a third
// column; drag a rectangle to brush, click a point to open its run, hover for its values.
import { niceTicks, shortNumber } from '../chartMath';
import { cssVar, h } from '../dom';
import { CanvasPlot } from './canvasPlot';
import { type Dimension, position, ramp, valueAt } from './dimensions';
import type { BrushListener } from './parallel';

const MARGIN = { left: 60, right: 16, top: 12, bottom: 40 };
const HEIGHT = 320;

export class ScatterPlot extends CanvasPlot {
  private tip: HTMLElement;
  private ids: string[] = [];
  private names: string[] = [];
  private x: Dimension | null = null;
  private y: Dimension | null = null;
  private color: Dimension | null = null;
  private highlight: Set<string> | null = null;
  private points: { i: number; px: number; py: number }[] = [];
  private box: { x0: number; y0: number; x1: number; y1: number } | null = null;
  private dragging = false;

  constructor(private onBrush: BrushListener, private onOpen?: (runId: string) => void) {
    const tip = h('div', { className: 'mlws-scatter-tip', role: 'tooltip' });
    super('mlws-scatter', 'Scatter plot of the runs', HEIGHT, tip);
    this.tip = tip;
    this.tip.hidden = true;
    this.overlay.addEventListener('mousemove', ev => this.hover(ev));
    this.overlay.addEventListener('mouseleave', () => { this.tip.hidden = true; });
  }

  protected resized(): void {
    this.draw();
  }

  setData(ids: string[], names: string[], x: Dimension, y: Dimension, color: Dimension | null,
    highlight: Set<string> | null): void {
    this.ids = ids;
    this.names = names;
    this.x = x;
    this.y = y;
    this.color = color;
    this.highlight = highlight;
    this.draw();
  }

  private plotBox(width: number): { w: number; h: number } {
    return { w: width - MARGIN.left - MARGIN.right, h: HEIGHT - MARGIN.top - MARGIN.bottom };
  }

  draw(): void {
    const { ctx, width } = this.fit(HEIGHT);
    const { x, y } = this;
    if (!ctx || !x || !y) {
      return;
    }
    const box = this.plotBox(width);
    const fg = cssVar(this.node, '--jp-ui-font-color2', '#666');
    const grid = cssVar(this.node, '--jp-border-color2', '#ddd');
    ctx.font = `11px ${cssVar(this.node, '--jp-ui-font-family', 'sans-serif')}`;
    ctx.fillStyle = fg;
    ctx.strokeStyle = grid;
    // Ticks (nice numbers; categories by name; log axes by decades).
    const ticks = (d: Dimension, n: number): number[] => {
      if (d.kind === 'category') {
        return d.categories.length <= 12 ? d.categories.map((_, i) => i) : [];
      }
      if (d.log) {
        const out: number[] = [];
        for (let e = Math.ceil(Math.log10(d.min)); e <= Math.floor(Math.log10(d.max)); e++) {
          out.push(Math.pow(10, e));
        }
        return out;
      }
      return niceTicks(d.min, d.max, n);
    };
    const label = (d: Dimension, v: number): string =>
      d.kind === 'category' ? d.categories[v] ?? '' : shortNumber(v);
    ctx.textAlign = 'center';
    for (const v of ticks(x, Math.floor(box.w / 90))) {
      const px = MARGIN.left + position(x, v) * box.w;
      ctx.beginPath();
      ctx.moveTo(px, MARGIN.top);
      ctx.lineTo(px, MARGIN.top + box.h);
      ctx.stroke();
      ctx.fillText(label(x, v), px, MARGIN.top + box.h + 14);
    }
    ctx.textAlign = 'right';
    for (const v of ticks(y, 6)) {
      const py = MARGIN.top + (1 - position(y, v)) * box.h;
      ctx.beginPath();
      ctx.moveTo(MARGIN.left, py);
      ctx.lineTo(MARGIN.left + box.w, py);
      ctx.stroke();
      ctx.fillText(label(y, v), MARGIN.left - 6, py + 4);
    }
    ctx.textAlign = 'center';
    ctx.fillText(x.label, MARGIN.left + box.w / 2, HEIGHT - 6);
    ctx.save();
    ctx.translate(12, MARGIN.top + box.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(y.label, 0, 0);
    ctx.restore();
    // Points: category positions get a little jitter so equal values stay countable.
    const jitter = (d: Dimension, i: number): number =>
      d.kind === 'category' ? (((i * 2654435761) % 1000) / 1000 - 0.5) * 0.6 /
        Math.max(1, d.categories.length) : 0;
    this.points = [];
    const brand = cssVar(this.node, '--jp-brand-color1', '#1976d2');
    const dim = cssVar(this.node, '--jp-border-color1', '#bbb');
    const radius = this.ids.length > 2000 ? 2 : 3.5;
    for (let i = 0; i < this.ids.length; i++) {
      const vx = x.values[i];
      const vy = y.values[i];
      if (vx === null || vy === null) {
        continue;
      }
      const px = MARGIN.left + (position(x, vx) + jitter(x, i)) * box.w;
      const py = MARGIN.top + (1 - position(y, vy) - jitter(y, i + 7)) * box.h;
      this.points.push({ i, px, py });
      const c = this.color?.values[i];
      const lit = !this.highlight || this.highlight.has(this.ids[i]);
      ctx.globalAlpha = lit ? 0.85 : 0.25;
      ctx.fillStyle = !lit ? dim : this.color && c !== null && c !== undefined
        ? ramp(position(this.color, c)) : brand;
      ctx.beginPath();
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    if (this.box) {
      ctx.strokeStyle = brand;
      ctx.setLineDash([4, 3]);
      ctx.strokeRect(this.box.x0, this.box.y0, this.box.x1 - this.box.x0, this.box.y1 - this.box.y0);
      ctx.setLineDash([]);
    }
    this.node.dataset.points = String(this.points.length);
  }

  private nearest(px: number, py: number): number | null {
    let best: number | null = null;
    let dist = 64; // 8 px
    for (const p of this.points) {
      const d = (p.px - px) ** 2 + (p.py - py) ** 2;
      if (d < dist) {
        dist = d;
        best = p.i;
      }
    }
    return best;
  }

  private hover(ev: MouseEvent): void {
    if (this.dragging || !this.x || !this.y) {
      return;
    }
    const { x, y } = this.local(ev);
    const i = this.nearest(x, y);
    if (i === null) {
      this.tip.hidden = true;
      return;
    }
    const show = (d: Dimension): string => {
      const v = d.values[i];
      return v === null ? '' : d.kind === 'category' ? d.categories[v] : shortNumber(v);
    };
    this.tip.textContent = `${this.names[i]}: ${this.x.label} ${show(this.x)}, ` +
      `${this.y.label} ${show(this.y)}` + (this.color ? `, ${this.color.label} ${show(this.color)}`
      : '');
    this.tip.style.left = `${Math.min(x + 12, this.node.clientWidth - 220)}px`;
    this.tip.style.top = `${y + 12}px`;
    this.tip.hidden = false;
  }

  protected dragStart(ev: MouseEvent): void {
    const { x, y } = this.local(ev);
    this.box = { x0: x, y0: y, x1: x, y1: y };
    this.dragging = true;
    ev.preventDefault();
  }

  protected dragMove(ev: MouseEvent): void {
    if (!this.dragging || !this.box) {
      return;
    }
    const { x, y } = this.local(ev);
    this.box.x1 = x;
    this.box.y1 = y;
    this.draw();
  }

  protected dragEnd(ev: MouseEvent): void {
    if (!this.dragging || !this.box) {
      return;
    }
    this.dragging = false;
    const b = this.box;
    this.box = null;
    if (Math.abs(b.x1 - b.x0) < 4 && Math.abs(b.y1 - b.y0) < 4) {
      // A click: open the run under the pointer, or clear the brush.
      const i = this.nearest(b.x0, b.y0);
      if (i !== null && this.onOpen && ev.target instanceof Node && this.node.contains(ev.target)) {
        this.onOpen(this.ids[i]);
      } else {
        this.onBrush(null);
      }
      this.draw();
      return;
    }
    const [x0, x1] = [Math.min(b.x0, b.x1), Math.max(b.x0, b.x1)];
    const [y0, y1] = [Math.min(b.y0, b.y1), Math.max(b.y0, b.y1)];
    const picked = new Set(this.points.filter(p => p.px >= x0 && p.px <= x1 && p.py >= y0 &&
      p.py <= y1).map(p => this.ids[p.i]));
    this.draw();
    this.onBrush(picked);
  }

  /** The value range of a brush rectangle, for its description. */
  describe(d: Dimension, p0: number, p1: number): string {
    return `${shortNumber(valueAt(d, p0))} to ${shortNumber(valueAt(d, p1))}`;
  }
}
