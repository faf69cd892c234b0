/**
 * Webhook de-duplication: the first delivery to claim a key wins, later ones learn the owner.
 * A claim carries a TTL so keys do not pile up forever. DynamoDB deletes expired items only
 * eventually (within days) and dynalite never does, so an item past its `expiresAt` counts as absent
 * here: reads ignore it, and a new claim may overwrite it.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DeliveryClaim } from '../../ports';
import { conditionally } from './conditional';
import { num, str } from './item-codec';
import { CLAIM_SORT_KEY, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, deliveryPk } from './table-design';

/** A claim can vanish (expire) between our failed put and the read of its owner; retry that few times. */
const MAX_ATTEMPTS = 3;

export class DeliveryClaims {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date,
  ) {}

  async claim(key: string, rolloutId: string, ttlSeconds: number): Promise<DeliveryClaim> {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0) throw new RangeError(`invalid ttlSeconds: ${ttlSeconds}`);
    for (let attempt = 1; ; attempt++) {
      const now = this.nowSeconds();
      const claimed = await conditionally(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: { ...this.key(key), rolloutId: str(rolloutId), [TTL_ATTRIBUTE]: num(now + Math.ceil(ttlSeconds)) },
            ConditionExpression: 'attribute_not_exists(#pk) OR #ttl <= :now',
            ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':now': num(now) },
          }),
        ),
      );
      if (claimed) return { claimed: true };
      const owner = await this.owner(key);
      if (owner !== null) return { claimed: false, rolloutId: owner };
      if (attempt >= MAX_ATTEMPTS) throw new Error(`delivery claim ${key} keeps changing; giving up`);
    }
  }

  async takeOver(key: string, from: string, to: string, ttlSeconds: number): Promise<boolean> {
    const now = this.nowSeconds();
    return conditionally(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...this.key(key), rolloutId: str(to), [TTL_ATTRIBUTE]: num(now + Math.ceil(ttlSeconds)) },
          ConditionExpression: 'rolloutId = :from',
          ExpressionAttributeValues: { ':from': str(from) },
        }),
      ),
    );
  }

  async owner(key: string): Promise<string | null> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.key(key), ConsistentRead: true }),
    );
    const item = out.Item;
    if (item === undefined) return null;
    const expiresAt = Number(item[TTL_ATTRIBUTE]?.N ?? Number.POSITIVE_INFINITY);
    if (expiresAt <= this.nowSeconds()) return null;
    return item.rolloutId?.S ?? null;
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  private key(key: string) {
    return { [PARTITION_KEY]: str(deliveryPk(key)), [SORT_KEY]: str(CLAIM_SORT_KEY) };
  }
}
