/**
 * One normalized form for the people behind decisions, so that "distinct approvers" counts people:
 * Unicode in NFC, surrounding space trimmed, and e-mail addresses (anything with an `@`) compared
 * case-insensitively. The record keeps `by` as given; only comparisons use this key.
 */
export function identityKey(by: string): string {
  const normalized = by.normalize('NFC').trim();
  return normalized.includes('@') ? normalized.toLowerCase() : normalized;
}

export function sameIdentity(a: string, b: string): boolean {
  return identityKey(a) === identityKey(b);
}
