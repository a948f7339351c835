// A chart's exports: the shown points as CSV, the drawing with its title and legend as PNG.
import type uPlot from 'uplot';
import type { SeriesPoints } from './chart';
import { csvRow } from './csv';
import { cssVar } from './dom';

export function fileName(title: string): string {
  return title.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'chart';
}

/** One row per point and series; with a metric on x, that metric's value too. */
export function chartCsv(series: SeriesPoints[], xLabel: string,
  xs: ((s: SeriesPoints) => (number | null)[]) | null): string {
  const lines = [csvRow(['series', 'step', 'time', ...(xs ? [xLabel] : []), 'value'])];
  for (const s of series) {
    const x = xs ? xs(s) : null;
    s.value.forEach((v, i) => {
      lines.push(csvRow([s.label, s.step[i], s.time[i], ...(x ? [x[i]] : []), v]));
    });
  }
  return lines.join('\n') + '\n';
}

/** The plot's canvas under its title, over its legend, on the theme's background. */
export function chartPng(plot: uPlot, title: string, themed: HTMLElement,
  entries: string[][]): Promise<Blob | null> {
  const plotCanvas = plot.ctx.canvas;
  const ratio = plotCanvas.width / Math.max(1, plot.width);
  const lineHeight = 18 * ratio;
  const head = 26 * ratio;
  const canvas = document.createElement('canvas');
  canvas.width = plotCanvas.width;
  canvas.height = plotCanvas.height + head + lineHeight * entries.length + 8 * ratio;
  const ctx = canvas.getContext('2d');
  if (!ctx) {
    return Promise.resolve(null);
  }
  const text = cssVar(themed, '--jp-ui-font-color1', '#222');
  ctx.fillStyle = cssVar(themed, '--jp-layout-color1', '#fff');
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = text;
  ctx.font = `600 ${13 * ratio}px sans-serif`;
  ctx.fillText(title, 8 * ratio, 18 * ratio);
  ctx.drawImage(plotCanvas, 0, head);
  ctx.font = `${11 * ratio}px sans-serif`;
  entries.forEach(([label, color], i) => {
    const y = head + plotCanvas.height + lineHeight * (i + 1);
    ctx.fillStyle = color;
    ctx.fillRect(8 * ratio, y - 9 * ratio, 10 * ratio, 10 * ratio);
    ctx.fillStyle = text;
    ctx.fillText(label, 24 * ratio, y);
  });
  return new Promise(resolve => canvas.toBlob(b => resolve(b), 'image/png'));
}
