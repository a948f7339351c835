// The rows of a runs table read from the server a page at a time, only when shown (10,000
// runs cost ten rows' worth of reads until scrolled); each new query (sort, filter, columns)
// starts a new generation, so answers to an older one are dropped.
import { isTerminal, type RunValues } from '../common/types';
import { type Row, rowOf } from './runColumns';

export const PAGE = 100;

export class RunPages {
  /** Runs the query matches (as the last page read said). */
  total = 0;
  /** A page (or the query's error) has come back since the last reset. */
  loadedOnce = false;
  private pages = new Map<number, RunValues>();
  private pending = new Set<number>();
  private generation = 0;

  /**
   * `read` one page of the current query; `done` after each answer (to render), with the
   * error when the query failed (shown by the owner; the rows stay as they were).
   */
  constructor(private read: (offset: number, limit: number) => Promise<RunValues>,
    private done: (error: unknown) => void) {}

  /** Forget every page: the query changed. */
  reset(): void {
    this.generation += 1;
    this.pages.clear();
    this.pending.clear();
  }

  /** Read page `page` unless it is here or on its way (`force`: read it again). */
  async fetch(page: number, force = false): Promise<void> {
    if (this.pending.has(page) || (!force && this.pages.has(page))) {
      return;
    }
    const generation = this.generation;
    this.pending.add(page);
    let error: unknown = null;
    try {
      const result = await this.read(page * PAGE, PAGE);
      if (generation !== this.generation) {
        return;
      }
      this.total = result.total;
      this.loadedOnce = true;
      this.pages.set(page, result);
    } catch (err) {
      if (generation !== this.generation) {
        return;
      }
      error = err;
      this.total = 0;
      this.loadedOnce = true;
    } finally {
      this.pending.delete(page);
    }
    this.done(error);
  }

  /** Row `i` of the query, or null when its page is not here (yet). */
  row(i: number): Row | null {
    const page = this.pages.get(Math.floor(i / PAGE));
    return page && i % PAGE < page.ids.length ? rowOf(page, i % PAGE) : null;
  }

  /** Read again the pages in [first, last] that hold a run still active. */
  refreshActive(first: number, last: number): void {
    for (let p = first; p <= last; p++) {
      const page = this.pages.get(p);
      if (page?.columns['attributes.status']?.some(s => !isTerminal(String(s)))) {
        void this.fetch(p, true);
      }
    }
  }
}
