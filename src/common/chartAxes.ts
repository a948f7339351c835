// The axes of a chart: ticks and labels per x mode (step, clock time, time since start,
// another metric; categories and whole-number positions for bars and rows), y in short numbers.
import type uPlot from 'uplot';
import type { XMode } from './chart';
import { clockLabel, niceTicks, relativeLabel, shortNumber, timeTicks } from './chartMath';
import { cssVar } from './dom';

export interface AxisOptions {
  mode: XMode;
  categories?: string[];
  integerX?: boolean;
  xLabel: string;
  yLabel: string;
  /** Pixels the y label may take (the plot's height): a longer one ends in an ellipsis. */
  yLength: number;
}

// uPlot's axis label font (its default labelFont).
const LABEL_FONT = 'bold 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
let measure: CanvasRenderingContext2D | null = null;

/** `text` cut to `px` pixels of the label font, with an ellipsis when cut. */
function fitText(text: string, px: number): string {
  measure ??= document.createElement('canvas').getContext('2d');
  if (!measure) {
    return text;
  }
  measure.font = LABEL_FONT;
  if (measure.measureText(text).width <= px) {
    return text;
  }
  let n = text.length;
  while (n > 1 && measure.measureText(`${text.slice(0, n)}…`).width > px) {
    n--;
  }
  return `${text.slice(0, n)}…`;
}

/** uPlot axes, and the x value's text in the legend. `node` (the chart) holds the current x
 * tick labels in data-x-ticks: they are drawn on the canvas, where nothing else can read them. */
export function chartAxes(node: HTMLElement, o: AxisOptions): {
  x: uPlot.Axis; y: uPlot.Axis; xValue: (u: uPlot, v: number | null) => string;
} {
  const axisColor = cssVar(node, '--jp-ui-font-color2', '#666');
  const gridColor = cssVar(node, '--jp-border-color2', 'rgba(128,128,128,0.2)');
  const { mode, categories } = o;
  const x: uPlot.Axis = {
    stroke: axisColor, label: o.xLabel, labelSize: 18, labelGap: 0,
    grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 },
    splits: (u: uPlot, _i: number, min: number, max: number) => {
      const count = Math.max(2, Math.floor(u.bbox.width / devicePixelRatio / 90));
      if (categories) {
        return categories.map((_, i) => i).filter(i => i >= min && i <= max);
      }
      if (o.integerX) {
        return niceTicks(min, max, count).filter(v => Number.isInteger(v));
      }
      // Clock labels show seconds from a 2 s span on: ticks between seconds would repeat them.
      return mode === 'time' ? timeTicks(min, max, count, max - min >= 2 ? 1 : 0)
        : mode === 'relative' ? timeTicks(min, max, count) : niceTicks(min, max, count);
    },
    values: (u: uPlot, splits: number[]) => {
      const min = u.scales.x.min ?? 0;
      const max = u.scales.x.max ?? 0;
      const labels = splits.map(v => categories ? (categories[v] ?? '')
        : mode === 'time' ? clockLabel(v, max - min)
          : mode === 'relative' ? relativeLabel(v) : shortNumber(v));
      node.dataset.xTicks = JSON.stringify(labels);
      return labels;
    }
  };
  const y: uPlot.Axis = {
    stroke: axisColor, label: fitText(o.yLabel, o.yLength), labelSize: 18, labelGap: 0, size: 56,
    grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 },
    values: (_u: uPlot, splits: number[]) => splits.map(shortNumber)
  };
  const xValue = (_u: uPlot, v: number | null): string => v === null ? ''
    : categories ? categories[v] ?? '' : mode === 'time' ? clockLabel(v, 1)
      : mode === 'relative' ? relativeLabel(v) : shortNumber(v);
  return { x, y, xValue };
}
