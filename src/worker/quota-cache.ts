// The Cache Storage transformers.js keeps model files in, with a full disk noted instead of lost:
// transformers.js only logs a warning when a put fails, so a model that could not be kept would
// silently download again on every visit. Here the load goes on (the model is in memory) and the
// files that were not kept are reported, so the page can say so with the sizes and a way out.
import { isQuotaError } from '../core/storage.ts';

export interface CacheForModels {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
}

export interface QuotaGuardedCache extends CacheForModels {
  /** Files whose put the quota refused since the last call, and forgets them. */
  takeRefused(): string[];
}

export function quotaGuardedCache(open: () => Promise<CacheForModels>): QuotaGuardedCache {
  let refused: string[] = [];
  return {
    async match(key) {
      return (await open()).match(key);
    },
    async put(key, response) {
      try {
        await (await open()).put(key, response);
      } catch (e) {
        if (!isQuotaError(e)) throw e;
        refused.push(String(key));
      }
    },
    takeRefused() {
      const out = refused;
      refused = [];
      return out;
    },
  };
}
