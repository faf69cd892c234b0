/**
 * The opaque `nextCursor` of a rollout list. It names the last rollout of the page (its id and
 * createdAt) and the listing it came from, rather than carrying DynamoDB's raw LastEvaluatedKey:
 * the index key can be rebuilt from those two, and a client-supplied key is then never passed to
 * DynamoDB unchecked. A cursor from another listing (another service, or all rollouts) is refused
 * instead of silently starting at an unrelated place.
 */
import type { Item } from './item-codec';
import { str } from './item-codec';
import { ValidationError } from '../../errors';
import {
  PARTITION_KEY,
  RECORD_SORT_KEY,
  SORT_KEY,
  createdSortKey,
  rolloutPk,
  type ListIndex,
} from './table-design';

/** Which listing a cursor belongs to: the index and its partition (one service, or all rollouts). */
export interface ListScope {
  readonly index: ListIndex;
  readonly partition: string;
}

interface CursorBody {
  readonly v: 1;
  /** The listing's index partition value. */
  readonly p: string;
  readonly id: string;
  readonly createdAt: string;
}

/** Far above any real cursor; stops a client from making us parse megabytes. */
const MAX_CURSOR_LENGTH = 2048;

export function encodeCursor(scope: ListScope, last: { readonly id: string; readonly createdAt: string }): string {
  const body: CursorBody = { v: 1, p: scope.partition, id: last.id, createdAt: last.createdAt };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The ExclusiveStartKey for the page after the cursor; ValidationError for anything we did not issue. */
export function decodeCursor(scope: ListScope, cursor: string): Item {
  const body = parse(cursor);
  if (body.p !== scope.partition) throw invalid('cursor belongs to another listing');
  return {
    [PARTITION_KEY]: str(rolloutPk(body.id)),
    [SORT_KEY]: str(RECORD_SORT_KEY),
    [scope.index.partitionKey]: str(scope.partition),
    [scope.index.sortKey]: str(createdSortKey(body.createdAt, body.id)),
  };
}

function parse(cursor: string): CursorBody {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw invalid('cursor has an invalid length');
  const bytes = Buffer.from(cursor, 'base64url');
  // Node's decoder skips characters outside the alphabet; a strict round trip rejects them.
  if (bytes.toString('base64url') !== cursor) throw invalid('cursor is not base64url');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw invalid('cursor is not one we issued', cause);
  }
  if (!isCursorBody(value)) throw invalid('cursor is not one we issued');
  return value;
}

function isCursorBody(value: unknown): value is CursorBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.v === 1 &&
    typeof v.p === 'string' &&
    typeof v.id === 'string' &&
    v.id.length > 0 &&
    typeof v.createdAt === 'string' &&
    !Number.isNaN(Date.parse(v.createdAt))
  );
}

function invalid(detail: string, cause?: unknown): ValidationError {
  return new ValidationError('invalid cursor', [`cursor: ${detail}`], cause === undefined ? undefined : { cause });
}
