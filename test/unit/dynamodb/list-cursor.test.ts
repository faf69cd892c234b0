import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, type ListScope } from '../../../shared/adapters/dynamodb/list-cursor';
import { BY_CREATED_INDEX, BY_SERVICE_INDEX } from '../../../shared/adapters/dynamodb/table-design';
import { ValidationError } from '../../../shared/errors';

const web: ListScope = { index: BY_SERVICE_INDEX, partition: 'SERVICE#web' };
const all: ListScope = { index: BY_CREATED_INDEX, partition: 'ROLLOUT' };
const last = { id: 'r-7', createdAt: '2026-08-01T10:00:00.000Z' };

describe('list cursors', () => {
  it('decode to the full index key of the last rollout of the page', () => {
    const cursor = encodeCursor(web, last);

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(web, cursor)).toEqual({
      pk: { S: 'ROLLOUT#r-7' },
      sk: { S: 'RECORD' },
      gsi1pk: { S: 'SERVICE#web' },
      gsi1sk: { S: '2026-08-01T10:00:00.000Z#r-7' },
    });
  });

  it('are refused by another listing', () => {
    expect(() => decodeCursor(all, encodeCursor(web, last))).toThrow(ValidationError);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc$def'],
    ['padded base64', `${encodeCursor(all, last)}=`],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['too long', 'A'.repeat(4096)],
  ])('reject a garbled cursor (%s) with a ValidationError', (_, cursor) => {
    expect(() => decodeCursor(all, cursor)).toThrow(ValidationError);
  });
});
