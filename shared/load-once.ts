/**
 * What a function loads on first use (docs/architecture.md, "Lambda bundles"): `load` runs at the first
 * call, with that call's arguments, and every call until it settles, and after, gets the same promise
 * (their arguments unused). A failed load is not kept: the next call tries again, with its own.
 */
export function loadOnce<T, A extends unknown[] = []>(load: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let loading: Promise<T> | undefined;
  return (...args: A) => {
    if (loading) return loading;
    const started = load(...args);
    loading = started;
    started.catch(() => {
      if (loading === started) loading = undefined;
    });
    return started;
  };
}
