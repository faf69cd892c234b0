/**
 * Secrets Manager's GetSecretValue on the wire (AWS JSON 1.1), as strict as the service on what the
 * orchestrator relies on, written from the Secrets Manager API model: a secret is found by name or by
 * ARN (complete, or partial without the 6-character suffix); a missing one is ResourceNotFoundException,
 * one scheduled for deletion InvalidRequestException, a missing SecretId InvalidParameterException
 * (as the service answers a request its model refuses); a secret this caller may not read is
 * AccessDeniedException. Any other operation is refused. Every error is HTTP 400 with `__type`.
 */
import { type WireAnswer, type WireRequest, serveWire } from '../../local/sdk/loopback-server';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const JSON_11 = 'application/x-amz-json-1.1';

interface StoredSecret {
  readonly name: string;
  readonly arn: string;
  value: string;
  versionId: number;
  deleted: boolean;
  denied: boolean;
}

export interface SecretsManagerStandIn {
  readonly endpoint: string;
  /** Creates or updates a secret (PutSecretValue's effect); answers its ARN. */
  put(name: string, value: string): string;
  /** Schedules it for deletion: reads fail with InvalidRequestException. */
  scheduleDeletion(name: string): void;
  /** This caller's role may no longer read it: AccessDeniedException. */
  deny(name: string): void;
  /** GetSecretValue calls so far, by the SecretId asked for. */
  readonly reads: Map<string, number>;
  close(): Promise<void>;
}

export async function startSecretsManagerStandIn(initial: Record<string, string> = {}): Promise<SecretsManagerStandIn> {
  const secrets = new Map<string, StoredSecret>();
  const reads = new Map<string, number>();
  const suffix = () => Math.random().toString(36).slice(2, 8).padEnd(6, 'x');
  const find = (id: string): StoredSecret | undefined =>
    secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id || s.arn.slice(0, -7) === id);

  const put = (name: string, value: string): string => {
    const existing = secrets.get(name);
    if (existing) {
      existing.value = value;
      existing.versionId += 1;
      return existing.arn;
    }
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix()}`;
    secrets.set(name, { name, arn, value, versionId: 1, deleted: false, denied: false });
    return arn;
  };
  for (const [name, value] of Object.entries(initial)) put(name, value);

  const fail = (type: string, message: string): WireAnswer => ({ status: 400, headers: { 'content-type': JSON_11, 'x-amzn-errortype': type }, body: JSON.stringify({ __type: type, message }) });

  const handle = (req: WireRequest): WireAnswer => {
    if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') return fail('UnknownOperationException', `the stand-in serves GetSecretValue only, not ${String(req.headers['x-amz-target'])}`);
    if (req.headers['content-type'] !== JSON_11) return fail('SerializationException', `content-type must be ${JSON_11}`);
    let body: { SecretId?: unknown };
    try {
      body = JSON.parse(req.body || '{}') as { SecretId?: unknown };
    } catch {
      return fail('SerializationException', 'the body is not JSON');
    }
    const id = body.SecretId;
    if (typeof id !== 'string' || id.length < 1 || id.length > 2048) return fail('InvalidParameterException', 'SecretId must be 1 to 2048 characters');
    reads.set(id, (reads.get(id) ?? 0) + 1);
    const secret = find(id);
    if (!secret) return fail('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (secret.denied) {
      return fail('AccessDeniedException', `User: arn:aws:sts::${ACCOUNT}:assumed-role/fn/fn is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id} because no identity-based policy allows the secretsmanager:GetSecretValue action`);
    }
    if (secret.deleted) return fail('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
    return {
      status: 200,
      headers: { 'content-type': JSON_11 },
      body: JSON.stringify({
        ARN: secret.arn,
        Name: secret.name,
        VersionId: `00000000-0000-0000-0000-${String(secret.versionId).padStart(12, '0')}`,
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      }),
    };
  };

  const server = await serveWire(handle);
  return {
    endpoint: server.endpoint,
    put,
    scheduleDeletion: (name) => void (secrets.get(name)!.deleted = true),
    deny: (name) => void (secrets.get(name)!.denied = true),
    reads,
    close: () => server.close(),
  };
}
