// A worker's first word to the page: `ready`, with the name of a Web Lock it holds until it ends,
// so the page learns of its death at once whatever ends it (see src/app/kept-worker.ts).
export function announceReady(prefix: string, post: (m: { readonly type: 'ready'; readonly lifeLock: string | null }) => void): void {
  const locks = (self.navigator as Navigator & { locks?: LockManager }).locks;
  if (!locks) return post({ type: 'ready', lifeLock: null });
  const lifeLock = `${prefix}-${crypto.randomUUID()}`;
  void locks.request(lifeLock, () => {
    post({ type: 'ready', lifeLock });
    return new Promise<never>(() => {});
  });
}
