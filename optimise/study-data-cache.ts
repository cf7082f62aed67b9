import { loadMacroTimeline } from '../market/macro/macro-timeline.ts';
import type { Db } from '../store/db.ts';
import { loadStrategyStudy, studySpan, type StrategyStudy } from './strategy-study.ts';
import type { StudyRequest } from './study-request.ts';

/**
 * A worker's last few (study, strategy) data sets: consecutive trial jobs of one study read
 * its candles and plans once, not once per trial. A stored request never changes, so an
 * entry never goes stale; a small size bounds the memory (two: a worker between two studies
 * does not reload at every switch). The promise is kept, so slots asking at once share one
 * load; a failed load is forgotten, so the next job tries again.
 */
export class StudyDataCache {
  readonly #entries = new Map<string, Promise<StrategyStudy>>();

  constructor(
    private readonly db: Db,
    private readonly env: NodeJS.ProcessEnv | undefined,
    private readonly size = 2,
  ) {}

  get(studyId: string, request: StudyRequest, strategyId: string): Promise<StrategyStudy> {
    const key = `${studyId}|${strategyId}`;
    const hit = this.#entries.get(key);
    if (hit) {
      // Most recently used last: Map keeps insertion order.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const loading = this.#load(studyId, request, strategyId);
    this.#entries.set(key, loading);
    loading.catch(() => {
      if (this.#entries.get(key) === loading) this.#entries.delete(key);
    });
    while (this.#entries.size > this.size) this.#entries.delete(this.#entries.keys().next().value!);
    return loading;
  }

  async #load(studyId: string, request: StudyRequest, strategyId: string): Promise<StrategyStudy> {
    const macro = await loadMacroTimeline(this.db, studySpan(request));
    return loadStrategyStudy(this.db, { studyId, request, strategyId, macro, env: this.env });
  }
}
