import type { ChangeKind, RunDataSource } from '../source';
import type { Run } from '../types';

/** One tab of the run view. Built lazily on first show; told about changes while shown. */
export interface RunTab {
  readonly id: string;
  readonly label: string;
  readonly node: HTMLElement;
  /** First show, and later shows after changes were missed. */
  load(run: Run): Promise<void>;
  /** Something changed while the tab is shown. */
  update(run: Run, what: ChangeKind[]): Promise<void>;
  dispose(): void;
}

export type TabFactory = (source: RunDataSource) => RunTab;
