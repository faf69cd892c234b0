/**
 * Local mode's AWS Signer, for the revocation checks of AWS Signer signatures, on Signer's own wire
 * (REST-JSON, as @aws-sdk/client-signer speaks it):
 *
 * - `GET /revocations?signatureTimestamp=&platformId=&profileVersionArn=&jobArn=&certificateHashes=…`
 *   (GetRevocationStatus): every parameter is required (`ValidationException` otherwise, as the API
 *   model says); answers the revoked entities among the job, the profile version and the hashes.
 * - `PUT /signing-profiles/{profileName}/revoke` (RevokeSigningProfile: `profileVersion`, `reason`,
 *   `effectiveTime`, all required): signatures made at or after `effectiveTime` by that version are revoked.
 * - `PUT /signing-jobs/{jobId}/revoke` (RevokeSignature: `reason` required): the job's signature is revoked.
 *
 * Nothing here signs: signatures are made by the test signer (local/registry/notation-signer.ts).
 */
import type { InProcessHandler } from './sdk/in-process-handler';
import { type WireRequest, serveWire } from './sdk/loopback-server';

class SignerError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface RunningSignerStandIn {
  readonly endpoint: string;
  /** For a `SignerClient` in this process: the same answers without a socket (local/sdk/in-process-handler.ts). */
  readonly requestHandler: InProcessHandler;
  close(): Promise<void>;
}

const ACCOUNT_ARN = 'arn:aws:signer:us-east-1:000000000000';

export async function startSignerStandIn(): Promise<RunningSignerStandIn> {
  /** profile version ARN → effective time of its revocation. */
  const revokedProfiles = new Map<string, Date>();
  const revokedJobs = new Set<string>();

  const handle = (request: WireRequest): unknown => {
    const url = new URL(request.path, 'http://signer.local');
    const body = request.method === 'PUT' ? jsonObject(request.body) : {};
    if (request.method === 'GET' && url.pathname === '/revocations') {
      const q = url.searchParams;
      for (const name of ['signatureTimestamp', 'platformId', 'profileVersionArn', 'jobArn', 'certificateHashes']) {
        if (!q.get(name)) throw new SignerError('ValidationException', `${name} is required`);
      }
      const at = new Date(q.get('signatureTimestamp')!);
      if (Number.isNaN(at.getTime())) throw new SignerError('ValidationException', 'signatureTimestamp is not a timestamp');
      const profile = q.get('profileVersionArn')!;
      const job = q.get('jobArn')!;
      const revoked: string[] = [];
      const since = revokedProfiles.get(profile);
      if (since && at >= since) revoked.push(profile);
      if (revokedJobs.has(job)) revoked.push(job);
      return { revokedEntities: revoked };
    }
    const profileMatch = /^\/signing-profiles\/([A-Za-z0-9_]{2,64})\/revoke$/.exec(url.pathname);
    if (request.method === 'PUT' && profileMatch) {
      const { profileVersion, reason, effectiveTime } = body;
      if (typeof profileVersion !== 'string' || !/^[A-Za-z0-9]{10}$/.test(profileVersion)) throw new SignerError('ValidationException', 'profileVersion is required (10 letters or digits)');
      if (typeof reason !== 'string' || reason.length === 0 || reason.length > 500) throw new SignerError('ValidationException', 'reason is required (1 to 500 characters)');
      if (typeof effectiveTime !== 'number' && typeof effectiveTime !== 'string') throw new SignerError('ValidationException', 'effectiveTime is required');
      const effective = typeof effectiveTime === 'number' ? new Date(effectiveTime * 1000) : new Date(effectiveTime);
      revokedProfiles.set(`${ACCOUNT_ARN}:/signing-profiles/${profileMatch[1]}/${profileVersion}`, effective);
      return {};
    }
    const jobMatch = /^\/signing-jobs\/([0-9a-f-]{36})\/revoke$/.exec(url.pathname);
    if (request.method === 'PUT' && jobMatch) {
      const { reason } = body;
      if (typeof reason !== 'string' || reason.length === 0 || reason.length > 500) throw new SignerError('ValidationException', 'reason is required (1 to 500 characters)');
      revokedJobs.add(`${ACCOUNT_ARN}:/signing-jobs/${jobMatch[1]}`);
      return {};
    }
    throw new SignerError('ResourceNotFoundException', `no such operation: ${request.method} ${url.pathname}`, 404);
  };

  return serveWire((request) => {
    try {
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(handle(request)) };
    } catch (error) {
      const e = error instanceof SignerError ? error : new SignerError('InternalServiceErrorException', String(error), 500);
      return { status: e.status, headers: { 'content-type': 'application/json', 'x-amzn-errortype': e.type }, body: JSON.stringify({ message: e.message }) };
    }
  });
}

function jsonObject(text: string): Record<string, unknown> {
  if (text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new SignerError('ValidationException', 'the body is not a JSON object');
}
