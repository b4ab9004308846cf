// Browser storage running out: one test for the error, one sentence with the sizes (what the site
// stores, what the browser allows it, what the thing being kept needs) — for history, models and
// conversions alike.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object';

/** A full disk or an exhausted quota, however the browser names it. */
export function isQuotaError(e: unknown): boolean {
  const name = isObj(e) && typeof e['name'] === 'string' ? e['name'] : '';
  // Legacy: Firefox's NS_ERROR_DOM_QUOTA_REACHED, and the old DOMException code 22.
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || (isObj(e) && e['code'] === 22);
}

/** The bytes the site may still store (quota - usage), or null when the browser gave no quota (navigator.storage.estimate). */
export function storageFree(estimate: { readonly usage?: number | null; readonly quota?: number | null } | null | undefined): number | null {
  return typeof estimate?.quota === 'number' ? estimate.quota - (estimate.usage ?? 0) : null;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/**
 * " This site stores X of the Y the browser allows it; <what> needs Z." (leading space), or ''
 * when the browser gave no estimate (navigator.storage.estimate).
 */
export function storageSizes(estimate: { readonly usage?: number | null; readonly quota?: number | null } | null | undefined, what: string, needed: number): string {
  if (!estimate?.quota) return '';
  return ` This site stores ${mb(estimate.usage ?? 0)} of the ${mb(estimate.quota)} the browser allows it; ${what} needs ${mb(needed)}.`;
}

/** A model that loaded but could not be kept (its files did not fit the quota): what it means, the sizes, the way out. */
export function modelNotKept(n: { readonly neededBytes: number; readonly usage: number | null; readonly quota: number | null }): string {
  return (
    'Browser storage is full, so this model was not kept for next time: it runs now, but downloads again on the next visit.' +
    storageSizes(n, 'the model', n.neededBytes) +
    ' Free space with "Clear model cache" (downloaded and converted models), or on the disk, then load the model again to keep it.'
  );
}
