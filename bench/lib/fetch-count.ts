/**
 * Counts the requests this process makes with the global `fetch` that `matches` picks (a benchmark's own
 * reads, the registry's answers), by wrapping `fetch` for as long as counting is on.
 */
export interface FetchCounter {
  readonly count: number;
  reset(): void;
  restore(): void;
}

export function countFetches(matches: (url: string, init?: RequestInit) => boolean): FetchCounter {
  const original = globalThis.fetch;
  let count = 0;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    if (matches(String(input instanceof Request ? input.url : input), init)) count += 1;
    return original(input, init);
  }) as typeof fetch;
  return {
    get count() {
      return count;
    },
    reset: () => {
      count = 0;
    },
    restore: () => {
      globalThis.fetch = original;
    },
  };
}
