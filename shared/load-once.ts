/**
 * What a function loads on first use (docs/architecture.md, "Lambda bundles"): `load` runs at the first
 * call, and every call until it settles, and after, gets the same promise. A failed load is not kept:
 * the next call tries again.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    if (loading) return loading;
    const started = load();
    loading = started;
    started.catch(() => {
      if (loading === started) loading = undefined;
    });
    return started;
  };
}
