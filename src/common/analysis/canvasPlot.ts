// What the analysis plots share: a canvas under an overlay that takes the pointer, redrawn
// when resized, with drags followed on the window (a drag may leave the plot).
import { h } from '../dom';

export abstract class CanvasPlot {
  readonly node: HTMLElement;
  protected canvas = h('canvas', { className: 'mlws-plot-canvas' });
  protected overlay = h('div', { className: 'mlws-plot-overlay' });
  private resizeObserver: ResizeObserver | null = null;
  private readonly onMove = (ev: MouseEvent): void => this.dragMove(ev);
  private readonly onUp = (ev: MouseEvent): void => this.dragEnd(ev);

  constructor(className: string, label: string, height: number, ...extra: HTMLElement[]) {
    this.node = h('div', { className: `mlws-plot ${className}`, role: 'img', 'aria-label': label,
      style: `min-height: ${height}px` }, this.canvas, this.overlay, ...extra);
    this.overlay.addEventListener('mousedown', ev => this.dragStart(ev));
    window.addEventListener('mousemove', this.onMove);
    window.addEventListener('mouseup', this.onUp);
    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(() => this.resized());
      this.resizeObserver.observe(this.node);
    }
  }

  dispose(): void {
    this.resizeObserver?.disconnect();
    window.removeEventListener('mousemove', this.onMove);
    window.removeEventListener('mouseup', this.onUp);
  }

  /** Size the canvas to the node's width (device pixels) and return its context. */
  protected fit(height: number): { ctx: CanvasRenderingContext2D | null; width: number } {
    const width = Math.max(this.node.clientWidth, 320);
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.overlay.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d');
    ctx?.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx?.clearRect(0, 0, width, height);
    return { ctx, width };
  }

  /** The pointer in overlay coordinates. */
  protected local(ev: MouseEvent): { x: number; y: number } {
    const rect = this.overlay.getBoundingClientRect();
    return { x: ev.clientX - rect.left, y: ev.clientY - rect.top };
  }

  protected abstract resized(): void;
  protected abstract dragStart(ev: MouseEvent): void;
  protected abstract dragMove(ev: MouseEvent): void;
  protected abstract dragEnd(ev: MouseEvent): void;
}
