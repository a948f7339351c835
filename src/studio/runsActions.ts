// What a user does to selected runs of a runs table: open, compare, tag, cancel, delete, from
// the toolbar or the right-click menu (commands, as JupyterLab menus are built).
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Menu } from '@lumino/widgets';
import { isTerminal } from '../common/types';
import { confirmDialog, formFlow } from './dialogs';
import type { Studio } from './studio';

export interface RunsActions {
  readonly tableId: string;
  selectedIds(): string[];
  /** How many of the selected runs are still active (cancellable). */
  activeSelected(): number;
  openSelected(): void;
  compareSelected(): void;
  cancelSelected(): Promise<void>;
  deleteSelected(): Promise<void>;
  tagSelected(tags: Record<string, string>): Promise<void>;
  hideColumn?(key: string): void;
}

const tables = new Map<string, RunsActions>();
const COMMANDS = {
  open: 'mlws:runs-open', compare: 'mlws:runs-compare', tag: 'mlws:runs-tag',
  cancel: 'mlws:runs-cancel', delete: 'mlws:runs-delete', hide: 'mlws:runs-hide-column'
};

export function registerTable(actions: RunsActions): () => void {
  tables.set(actions.tableId, actions);
  return () => tables.delete(actions.tableId);
}

/** The tag form: key and value, applied to every selected run. */
export async function tagFlow(actions: RunsActions): Promise<void> {
  const count = actions.selectedIds().length;
  await formFlow(`Tag ${count} run${count === 1 ? '' : 's'}`, [
    { name: 'key', label: 'Tag name', placeholder: 'team' },
    { name: 'value', label: 'Value', placeholder: 'vision (empty: a tag without a value)' }
  ], 'Tag', async values => {
    if (!values.key) {
      throw new Error('A tag needs a name.');
    }
    await actions.tagSelected({ [values.key]: values.value });
  });
}

function addCommands(app: JupyterFrontEnd): void {
  const table = (args: Record<string, unknown>): RunsActions | undefined =>
    tables.get(String(args.table));
  const count = (args: Record<string, unknown>): number =>
    table(args)?.selectedIds().length ?? 0;
  const plural = (n: number): string => (n === 1 ? 'run' : `${n} runs`);
  const add = (id: string, label: (args: Record<string, unknown>) => string,
    run: (t: RunsActions, args: Record<string, unknown>) => unknown,
    enabled: (args: Record<string, unknown>) => boolean = a => count(a) > 0): void => {
    if (!app.commands.hasCommand(id)) {
      app.commands.addCommand(id, {
        label: args => label(args), isEnabled: args => enabled(args),
        execute: args => {
          const t = table(args);
          return t ? run(t, args) : undefined;
        }
      });
    }
  };
  add(COMMANDS.open, () => 'Open', t => t.openSelected(), a => count(a) === 1);
  add(COMMANDS.compare, a => `Compare ${count(a)} runs`, t => t.compareSelected(),
    a => count(a) >= 2);
  add(COMMANDS.tag, a => `Tag ${plural(count(a))}…`, t => tagFlow(t));
  add(COMMANDS.cancel, a => `Cancel ${plural(table(a)?.activeSelected() ?? 0)}`,
    t => t.cancelSelected(), a => (table(a)?.activeSelected() ?? 0) > 0);
  add(COMMANDS.delete, a => `Delete ${plural(count(a))}…`, t => t.deleteSelected());
  add(COMMANDS.hide, a => `Hide column ${String(a.label ?? '')}`,
    (t, a) => t.hideColumn?.(String(a.key)), () => true);
}

/** The right-click menu of the selected runs (the row under the pointer is selected). */
export function openRunsMenu(studio: Studio, actions: RunsActions, ev: MouseEvent): void {
  addCommands(studio.app);
  const menu = new Menu({ commands: studio.app.commands });
  const args = { table: actions.tableId };
  menu.addItem({ command: COMMANDS.open, args });
  menu.addItem({ command: COMMANDS.compare, args });
  menu.addItem({ type: 'separator' });
  menu.addItem({ command: COMMANDS.tag, args });
  menu.addItem({ command: COMMANDS.cancel, args });
  menu.addItem({ type: 'separator' });
  menu.addItem({ command: COMMANDS.delete, args });
  menu.open(ev.clientX, ev.clientY);
}

/** A header's menu: hide the column. */
export function openColumnMenu(studio: Studio, actions: RunsActions, key: string, label: string,
  ev: MouseEvent): void {
  addCommands(studio.app);
  const menu = new Menu({ commands: studio.app.commands });
  menu.addItem({ command: COMMANDS.hide, args: { table: actions.tableId, key, label } });
  menu.open(ev.clientX, ev.clientY);
}

/** The selected runs of a table (and which of them are still active) and what is done to
 * them; `changed(reload)` tells the table to redraw (or read again). */
export class RunsSelection implements RunsActions {
  readonly selected = new Set<string>();
  private active = new Set<string>();

  constructor(readonly tableId: string, private studio: Studio, private ws: string,
    private changed: (reload: boolean) => void, readonly hideColumn: (key: string) => void) {}

  track(runId: string, status: string, on: boolean): void {
    if (on) {
      this.selected.add(runId);
      if (!isTerminal(status)) {
        this.active.add(runId);
      }
    } else {
      this.selected.delete(runId);
      this.active.delete(runId);
    }
  }

  clear(): void {
    this.selected.clear();
    this.active.clear();
  }

  selectedIds(): string[] {
    return [...this.selected];
  }

  activeSelected(): number {
    return this.active.size;
  }

  openSelected(): void {
    const [id] = this.selected;
    if (id) {
      this.studio.openRun(this.ws, id);
    }
  }

  compareSelected(): void {
    this.studio.openCompare(this.ws, [...this.selected]);
  }

  async cancelSelected(): Promise<void> {
    const ids = [...this.active];
    if (!ids.length || !(await confirmDialog('Cancel runs',
      `Cancel ${ids.length} running run(s)? Submitted scripts are stopped.`, 'Cancel runs'))) {
      return;
    }
    await Promise.all(ids.map(async id => {
      try {
        await this.studio.api.cancelRun(this.ws, id);
        this.active.delete(id);
      } catch (err) {
        this.studio.notifyError(`Canceling run ${id} failed`, err);
      }
    }));
    this.changed(true);
  }

  async tagSelected(tags: Record<string, string>): Promise<void> {
    await Promise.all([...this.selected].map(id =>
      this.studio.api.updateRun(this.ws, id, { tags })));
    this.changed(true);
  }

  async deleteSelected(): Promise<void> {
    const ids = [...this.selected];
    if (!(await confirmDialog('Delete runs',
      `Delete ${ids.length} run(s) with their metrics, files and child runs?`))) {
      return;
    }
    for (const id of ids) {
      try {
        await this.studio.api.deleteRun(this.ws, id);
      } catch (err) {
        this.studio.notifyError(`Deleting run ${id} failed`, err);
      }
      this.selected.delete(id);
      this.active.delete(id);
    }
    this.changed(true);
    this.studio.dataChanged.emit();
  }
}
