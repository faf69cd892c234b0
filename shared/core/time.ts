/** Time arithmetic the core and the workflow share. */

/**
 * Whole seconds from `now` until `when` (an ISO-8601 string or a Date), rounded up, and 0 once it has
 * passed: what a workflow Wait state's SecondsPath takes.
 */
export function secondsUntil(when: string | Date, now: Date): number {
  const t = typeof when === 'string' ? Date.parse(when) : when.getTime();
  return Math.max(0, Math.ceil((t - now.getTime()) / 1000));
}
