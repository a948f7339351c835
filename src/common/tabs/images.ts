// Images: every logged image (metric kind "image", value aml://artifactId/ExperimentRun/
// dcid.<run id>/<path>), with a step slider when one name was logged several times.
import { artifactPathOf } from '../chartMetrics';
import { clear, emptyState, h } from '../dom';
import { ImageViewer } from '../imageViewer';
import type { ChangeKind, RunDataSource } from '../source';
import type { MetricSeries, Run } from '../types';
import type { RunTab } from './tab';

export class ImagesTab implements RunTab {
  readonly id = 'images';
  readonly label = 'Images';
  readonly node = h('div', { className: 'mlws-tab-images' });
  private counts = new Map<string, number>();
  private viewers: ImageViewer[] = [];

  constructor(private source: RunDataSource) {}

  async load(_run: Run): Promise<void> {
    const images = (await this.source.listMetrics()).filter(m => m.kind === 'image');
    this.counts = new Map(images.map(m => [m.name, m.count]));
    this.revoke();
    clear(this.node);
    if (!images.length) {
      this.node.append(emptyState('This run has logged no images.',
        'Log one with run.log_image("name", path="plot.png") or plot=<matplotlib figure>.'));
      return;
    }
    for (const m of images) {
      const series = await this.source.getSeries(m.name, 0);
      this.node.append(this.card(series));
    }
  }

  async update(run: Run, what: ChangeKind[]): Promise<void> {
    if (!what.includes('metrics')) {
      return;
    }
    const images = (await this.source.listMetrics()).filter(m => m.kind === 'image');
    if (images.some(m => this.counts.get(m.name) !== m.count)) {
      await this.load(run);
    }
  }

  dispose(): void {
    this.revoke();
  }

  private revoke(): void {
    this.viewers.forEach(v => v.dispose());
    this.viewers = [];
  }

  private card(series: MetricSeries): HTMLElement {
    const values = series.value ?? [];
    const first = artifactPathOf(values[values.length - 1]) ?? '';
    const viewer = new ImageViewer(series.name, first,
      this.source.downloadUrl ? p => this.source.downloadUrl!(p) : undefined);
    this.viewers.push(viewer);
    const caption = h('span', { className: 'mlws-muted' });
    const show = async (i: number): Promise<void> => {
      const path = artifactPathOf(values[i]);
      const step = series.step[i];
      caption.textContent = `${i + 1} of ${values.length}` +
        (step !== null && step !== undefined ? ` (step ${step})` : '');
      if (!path) {
        viewer.missing(`Not an image artifact: ${String(values[i])}`);
        return;
      }
      const content = await this.source.getArtifact(path);
      viewer.show(content.blob, path);
    };
    const card = h('figure', { className: 'mlws-image-card', 'data-metric': series.name },
      h('figcaption', null, h('strong', null, series.name), ' ', caption));
    if (values.length > 1) {
      const slider = h('input', {
        type: 'range', min: 0, max: values.length - 1, step: 1, value: values.length - 1,
        'aria-label': `Step of ${series.name}`,
        oninput: () => void show(Number(slider.value))
      });
      card.append(slider);
    }
    card.append(viewer.node);
    void show(values.length - 1);
    return card;
  }
}
