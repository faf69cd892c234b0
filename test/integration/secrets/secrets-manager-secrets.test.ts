import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerSecrets, UNSET_SECRET_VALUE } from '../../../shared/adapters/secrets-manager/secrets-manager-secrets';
import { SecretUnavailableError } from '../../../shared/errors';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../../helpers/secrets-manager-stand-in';

let sm: SecretsManagerStandIn;
let client: SecretsManagerClient;

beforeAll(async () => {
  sm = await startSecretsManagerStandIn();
  client = new SecretsManagerClient({ endpoint: sm.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await sm.close();
});

function source(ids: Record<string, string>, now: () => number = Date.now) {
  const logged: Record<string, unknown>[] = [];
  const secrets = new SecretsManagerSecrets({ client, ids, now, logger: { error: (message, fields) => void logged.push({ message, ...fields }) } });
  return { secrets, logged };
}

const reasonOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretUnavailableError);
  return (error as SecretUnavailableError).message;
};

describe('SecretsManagerSecrets, through the real client', () => {
  it('reads a secret by name or ARN and keeps it for the cache lifetime, then reads it again', async () => {
    const arn = sm.put('prod/REGISTRY_PASSWORD', 'first');
    let now = 1_000_000;
    const { secrets } = source({ REGISTRY_PASSWORD: 'prod/REGISTRY_PASSWORD', BY_ARN: arn }, () => now);
    expect(await secrets.read('REGISTRY_PASSWORD')).toBe('first');
    expect(await secrets.read('BY_ARN')).toBe('first');
    sm.put('prod/REGISTRY_PASSWORD', 'second');
    now += 299_000;
    expect(await secrets.read('REGISTRY_PASSWORD')).toBe('first');
    expect(sm.reads.get('prod/REGISTRY_PASSWORD')).toBe(1);
    now += 2_000;
    expect(await secrets.read('REGISTRY_PASSWORD')).toBe('second');
    expect(sm.reads.get('prod/REGISTRY_PASSWORD')).toBe(2);
  });

  it('asks once for concurrent reads of one secret', async () => {
    sm.put('prod/CONCURRENT', 'value');
    const { secrets } = source({ CONCURRENT: 'prod/CONCURRENT' });
    expect(await Promise.all([secrets.read('CONCURRENT'), secrets.read('CONCURRENT'), secrets.read('CONCURRENT')])).toEqual(['value', 'value', 'value']);
    expect(sm.reads.get('prod/CONCURRENT')).toBe(1);
  });

  it.each([
    ['does not exist', () => 'prod/NEVER_CREATED', /it does not exist \(create it, or name an existing one with -c secrets\)/],
    ['is scheduled for deletion', () => (sm.put('prod/DELETED', 'x'), sm.scheduleDeletion('prod/DELETED'), 'prod/DELETED'), /scheduled for deletion/],
    ['may not be read by this function', () => (sm.put('prod/DENIED', 'x'), sm.deny('prod/DENIED'), 'prod/DENIED'), /this function may not read it \(User: .* is not authorized/],
    ['still holds the placeholder the stack put in', () => (sm.put('prod/UNSET', UNSET_SECRET_VALUE), 'prod/UNSET'), /has not been given its value yet: aws secretsmanager put-secret-value --secret-id prod\/UNSET/],
  ])('names the variable and the secret and says why when the secret %s, logs it, and asks again next time', async (_case, make, reason) => {
    const id = make();
    const { secrets, logged } = source({ SLACK_WEBHOOK_URL: id });
    const message = await reasonOf(secrets.read('SLACK_WEBHOOK_URL'));
    expect(message.startsWith(`the secret SLACK_WEBHOOK_URL cannot be read: secret ${id}: `)).toBe(true);
    expect(message).toMatch(reason);
    expect(logged).toEqual([{ message: 'secret unavailable', variable: 'SLACK_WEBHOOK_URL', id, reason: expect.stringMatching(reason) }]);
    const before = sm.reads.get(id);
    await reasonOf(secrets.read('SLACK_WEBHOOK_URL'));
    expect(sm.reads.get(id)).toBe(before! + 1);
  });

  it('refuses a variable the stack did not give this function, without asking Secrets Manager', async () => {
    const { secrets } = source({});
    expect(await reasonOf(secrets.read('NOTIFY_SECRET'))).toBe('the secret NOTIFY_SECRET cannot be read: this function is not given that secret (ROLLOUT_SECRETS)');
  });
});
