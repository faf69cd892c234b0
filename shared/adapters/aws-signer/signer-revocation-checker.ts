/**
 * AWS Signer's revocation answers (GetRevocationStatus) for signatures made with a signing profile:
 * the revoked entities among the signing job, the profile version and the certificates of the chain.
 * "Not revoked" answers are cached for a few minutes per (job, profile version, chain, signing time),
 * so a burst of pushes costs one call; a revoked answer is never cached as good. When AWS Signer cannot
 * be asked, the call throws: the rollout waits PENDING and asks again until `verify.waitFor`, then it
 * is REJECTED (docs/configuration.md, "Notation and AWS Signer").
 */
import { GetRevocationStatusCommand, type SignerClient } from '@aws-sdk/client-signer';
import { RegistryError } from '../../errors';
import { setNewest } from '../../bounded-map';
import { AWS_SIGNER_NOTATION_PLATFORM, type SigningRevocation } from '../../signature/notation/aws-signer';

export interface SignerRevocationCheckerOptions {
  readonly client: SignerClient;
  /** How long a "not revoked" answer is reused, in seconds. Default 300. */
  readonly cacheSeconds?: number;
  /** Default 10 s per call. */
  readonly timeoutMs?: number;
  readonly clock?: () => Date;
}

/** "Not revoked" answers kept at most, the oldest forgotten first. */
const NOT_REVOKED_KEPT = 1000;

export class SignerRevocationChecker implements SigningRevocation {
  private readonly notRevoked = new Map<string, number>();

  constructor(private readonly options: SignerRevocationCheckerOptions) {}

  async revokedEntities(input: Parameters<SigningRevocation['revokedEntities']>[0]): Promise<readonly string[]> {
    const now = (this.options.clock?.() ?? new Date()).getTime();
    const key = JSON.stringify([input.jobArn, input.profileVersionArn, input.certificateHashes, input.signatureTimestamp.toISOString()]);
    const until = this.notRevoked.get(key);
    if (until !== undefined && until > now) return [];
    let revoked: readonly string[];
    try {
      const output = await this.options.client.send(
        new GetRevocationStatusCommand({
          signatureTimestamp: input.signatureTimestamp,
          platformId: AWS_SIGNER_NOTATION_PLATFORM,
          profileVersionArn: input.profileVersionArn,
          jobArn: input.jobArn,
          certificateHashes: [...input.certificateHashes],
        }),
        { abortSignal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) },
      );
      revoked = output.revokedEntities ?? [];
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      throw new RegistryError(`AWS Signer GetRevocationStatus for ${input.jobArn} failed: ${name}: ${message}`, { cause: error });
    }
    if (revoked.length === 0) setNewest(this.notRevoked, key, now + (this.options.cacheSeconds ?? 300) * 1000, NOT_REVOKED_KEPT);
    return revoked;
  }
}
