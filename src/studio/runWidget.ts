// The run view in JupyterLab's main area.
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { RunView } from '../common/runView';
import type { RunDataSource } from '../common/source';
import { runIcon } from './icons';

export class RunViewContent extends Widget {
  readonly view: RunView;

  constructor(source: RunDataSource, tab: string | undefined, onTitle: (t: string) => void) {
    super();
    this.addClass('mlws-run-content');
    this.view = new RunView(source, {
      initialTab: tab,
      onRun: run => onTitle(run.display_name || run.id)
    });
    this.node.append(this.view.node);
    void this.view.start();
  }

  dispose(): void {
    this.view.dispose();
    super.dispose();
  }
}

export class RunViewWidget extends MainAreaWidget<RunViewContent> {
  /** The workspace (and experiment) the view shows: closed when they are deleted. */
  mlwsOwner?: { workspaceId: string; experiment?: string };

  constructor(source: RunDataSource, tab?: string) {
    const content = new RunViewContent(source, tab, t => {
      this.title.label = `Run: ${t}`;
    });
    super({ content });
    this.title.label = `Run: ${source.runId}`;
    this.title.caption = `Run ${source.runId}`;
    this.title.icon = runIcon;
    this.title.closable = true;
  }
}
