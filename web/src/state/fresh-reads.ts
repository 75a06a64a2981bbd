/**
 * Reads that must reflect what happened before they were asked for: one read per key at a time, and a call made
 * while one is under way gets the next read, which starts when that one ends. Handing the caller the read under
 * way would be cheaper, but it may have been answered before the caller's own change (a room just created, a
 * member just added), and answers of overlapping reads could land out of order and leave the older one on screen.
 * Calls during one read share the next, so a burst of events costs at most two reads.
 */
export function freshReads<K>(): (key: K, read: () => Promise<void>) => Promise<void> {
  const running = new Map<K, Promise<void>>();
  const next = new Map<K, Promise<void>>();

  function start(key: K, read: () => Promise<void>): Promise<void> {
    const reading = read().finally(() => running.delete(key));
    running.set(key, reading);
    return reading;
  }

  return (key, read) => {
    const under = running.get(key);
    if (!under) return start(key, read);
    let queued = next.get(key);
    if (!queued) {
      queued = under
        .catch(() => undefined)
        .then(() => {
          next.delete(key);
          // A read started by a call in between began after these calls too.
          return running.get(key) ?? start(key, read);
        });
      next.set(key, queued);
    }
    return queued;
  };
}
