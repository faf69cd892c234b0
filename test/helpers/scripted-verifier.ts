import type { SignatureVerifier, VerificationResult, VerifyImageRequest } from '../../shared/ports';

/**
 * A SignatureVerifier whose verdict per digest the test sets: for orchestration tests, where the real
 * verifier (tested against real cosign signatures and a real registry elsewhere) is not the subject.
 */
export class ScriptedVerifier implements SignatureVerifier {
  private readonly verdicts = new Map<string, 'missing' | 'rejected'>();
  readonly calls: VerifyImageRequest[] = [];

  set(digest: string, verdict: 'verified' | 'missing' | 'rejected'): void {
    if (verdict === 'verified') this.verdicts.delete(digest);
    else this.verdicts.set(digest, verdict);
  }

  async verify(request: VerifyImageRequest, now: Date): Promise<VerificationResult> {
    this.calls.push(request);
    const verdict = this.verdicts.get(request.digest);
    if (verdict === 'missing') return { outcome: 'missing', detail: `no signature for ${request.digest}` };
    if (verdict === 'rejected') return { outcome: 'rejected', reason: `not signed by any configured key (tried ${request.keys.map((k) => k.id).join(', ')})` };
    return {
      outcome: 'verified',
      signature: {
        type: 'cosign-key',
        key: request.keys[0]!.id,
        keyFingerprint: 'f'.repeat(64),
        signatureManifest: null,
        dockerReference: `${request.registry}/${request.repository}`,
        verifiedAt: now.toISOString(),
      },
    };
  }
}
