/**
 * 6. Signature verification: verifications per second of a cosign key signature and of a keyless
 * (Fulcio certificate + Rekor entry) signature, cold (`cache: false`) and cached, read from the loopback
 * docker-registry; and the same with the registry replaced by an in-memory reader, to separate the
 * crypto and parsing from the two HTTP fetches.
 */
import { createHash } from 'node:crypto';
import { generateCosignKeyPair, pushSimpleSigningLayer, signPayload, simpleSigningPayload } from '../../local/registry/cosign-signer';
import { keylessSigner, signSimpleSigning } from '../../local/registry/keyless-signer';
import { createIntermediateCa, createRootCa } from '../../local/registry/test-certificates';
import { TestRekorLog, trustedRootJson } from '../../local/registry/test-rekor';
import { MediaType, type FetchedManifest, type OciRegistryReader } from '../../shared/adapters/oci-registry/types';
import { COSIGN_SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from '../../shared/signature/cosign-simple-signing';
import { keepParsedCertificates } from '../../shared/signature/certificate';
import { CosignSignatureVerifier, signatureTag, type VerifyPolicyRequest } from '../../shared/signature/cosign-signature-verifier';
import type { PolicyInput } from '../../shared/signature/policy';
import { parseTrustedRoot } from '../../shared/signature/trusted-root';
import { newDigest, registry } from '../lib/fixtures';
import { fmt, fmtRatio, median } from '../lib/stats';
import type { Benchmark } from '../lib/types';

const ROUNDS = 3;
const SECONDS_PER_RUN = 1;
const CONCURRENCY = 4;
const REPOSITORY = 'team/web';
const ISSUER = 'https://token.actions.githubusercontent.com';
const SUBJECT = 'https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main';

interface Layer {
  readonly payload: Buffer;
  readonly annotations: Record<string, string>;
}

/** The registry's side of verification, in memory: the `.sig` manifest by tag and its payload blob. */
class MemoryReader implements OciRegistryReader {
  private readonly manifests = new Map<string, FetchedManifest>();
  private readonly blobs = new Map<string, Uint8Array>();
  add(digest: string, layer: Layer): void {
    const payloadDigest = `sha256:${createHash('sha256').update(layer.payload).digest('hex')}`;
    this.blobs.set(payloadDigest, layer.payload);
    const json = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, size: 2, digest: `sha256:${'44'.repeat(32)}` },
      layers: [{ mediaType: SIMPLE_SIGNING_MEDIA_TYPE, size: layer.payload.byteLength, digest: payloadDigest, annotations: layer.annotations }],
    };
    const body = Buffer.from(JSON.stringify(json));
    this.manifests.set(`${REPOSITORY}:${signatureTag(digest)}`, { digest: `sha256:${createHash('sha256').update(body).digest('hex')}`, mediaType: MediaType.OciManifest, body, json });
  }
  async getManifest(repository: string, reference: string): Promise<FetchedManifest | null> {
    return this.manifests.get(`${repository}:${reference}`) ?? null;
  }
  async getBlob(_repository: string, digest: string): Promise<Uint8Array | null> {
    return this.blobs.get(digest) ?? null;
  }
  async listReferrers(): Promise<null> {
    return null;
  }
}

/** Verifications per second: `CONCURRENCY` loops for `seconds`; every verdict must be `verified`. */
async function rate(verify: () => Promise<{ outcome: string }>, seconds = SECONDS_PER_RUN): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const verdict = await verify();
        if (verdict.outcome !== 'verified') throw new Error(`verification failed: ${JSON.stringify(verdict)}`);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

type Case = 'key' | 'keyless';
type Mode = 'cold' | 'cached' | 'coldMemory';

export const signature: Benchmark = {
  name: 'signature',
  title: 'Signature verification: key and keyless (Fulcio + Rekor), cold and cached',
  async run() {
    // Every cold keyless verification parses its certificate, as production does: each keyless signature
    // brings a leaf of its own, which the verifier's store of parsed certificates never holds.
    keepParsedCertificates(0);
    const reg = await registry();
    try {
      const now = new Date();
      const registries = { [reg.host]: { insecure: true } };
      const dockerReference = `${reg.host}/${REPOSITORY}`;

      // A cosign key signature.
      const keys = generateCosignKeyPair();
      const keyDigest = newDigest();
      const keyPayload = Buffer.from(simpleSigningPayload(dockerReference, keyDigest));
      const keyLayer: Layer = { payload: keyPayload, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signPayload(keyPayload, keys.privateKeyPem) } };
      const keyPolicy: PolicyInput = { keys: [{ id: 'cosign.pub', pem: keys.publicKeyPem }] };

      // A keyless signature: a Fulcio-like CA (P-384 root and intermediate), a certificate for a CI
      // identity, a Rekor entry with its SignedEntryTimestamp, and the trusted root that trusts both.
      const root = createRootCa({ commonName: 'bench-fulcio-root' });
      const intermediate = createIntermediateCa(root, { commonName: 'bench-fulcio-intermediate' });
      const log = new TestRekorLog();
      const parsedRoot = parseTrustedRoot(trustedRootJson({ authorities: [{ chain: [intermediate, root] }], logs: [{ log }] }), 'bench root');
      if (!parsedRoot.ok) throw new Error(parsedRoot.reason);
      const signedAt = new Date(now.getTime() - 60_000);
      const signer = keylessSigner(intermediate, { san: [{ uri: SUBJECT }], issuer: ISSUER, at: signedAt });
      const keylessDigest = newDigest();
      const keylessLayer: Layer = signSimpleSigning({ dockerReference, digest: keylessDigest, signer, rekor: { log, integratedTime: new Date(signedAt.getTime() + 5000) } });
      const keylessPolicy: PolicyInput = {
        keys: [],
        keyless: [{ id: 'keyless[0]', issuer: ISSUER, issuerRegExp: null, subject: SUBJECT, subjectRegExp: null }],
        rekor: 'required',
        trustedRoot: parsedRoot.value,
      };

      for (const [digest, layer] of [[keyDigest, keyLayer], [keylessDigest, keylessLayer]] as const) {
        await pushSimpleSigningLayer({ host: reg.host, repository: REPOSITORY, digest, payload: layer.payload, annotations: layer.annotations });
      }
      const memory = new MemoryReader();
      memory.add(keyDigest, keyLayer);
      memory.add(keylessDigest, keylessLayer);

      const request = (c: Case): VerifyPolicyRequest =>
        c === 'key'
          ? { registry: reg.host, repository: REPOSITORY, digest: keyDigest, keys: keyPolicy.keys, policy: keyPolicy }
          : { registry: reg.host, repository: REPOSITORY, digest: keylessDigest, keys: [], policy: keylessPolicy };
      const verifiers: Record<Mode, CosignSignatureVerifier> = {
        cold: new CosignSignatureVerifier({ registries, cache: false }),
        cached: new CosignSignatureVerifier({ registries }),
        coldMemory: new CosignSignatureVerifier({ registries, cache: false, clientFor: () => memory }),
      };
      // Warm-up: every path once (and fill the cache).
      for (const c of ['key', 'keyless'] as Case[]) for (const v of Object.values(verifiers)) {
        const verdict = await v.verify(request(c), new Date());
        if (verdict.outcome !== 'verified') throw new Error(`${c}: ${JSON.stringify(verdict)}`);
      }
      const samples: Record<string, number[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of ['key', 'keyless'] as Case[]) {
          for (const mode of ['cold', 'cached', 'coldMemory'] as Mode[]) {
            const r = await rate(() => verifiers[mode].verify(request(c), new Date()));
            (samples[`${c}.${mode}`] ??= []).push(r);
          }
        }
      }
      const m = (c: Case, mode: Mode) => median(samples[`${c}.${mode}`]!);
      const figures = (['key', 'keyless'] as Case[]).flatMap((c) => {
        const label = c === 'key' ? 'key signature (ECDSA P-256)' : 'keyless signature (certificate chain + Rekor SET)';
        return [
          { metric: `${label}, cold, from the registry: verifications/s`, value: fmt(m(c, 'cold')), reference: fmt(m(c, 'cached')), referenceName: 'cached', ratio: fmtRatio(m(c, 'cold') / m(c, 'cached')) },
          { metric: `${label}, cold, in-memory reader: verifications/s`, value: fmt(m(c, 'coldMemory')), reference: fmt(m(c, 'cold')), referenceName: 'cold, from the registry', ratio: fmtRatio(m(c, 'coldMemory') / m(c, 'cold')) },
          { metric: `${label}, cached: verifications/s`, value: fmt(m(c, 'cached')) },
          { metric: `${label}, cold: 1 / throughput`, value: `${fmt(1000 / m(c, 'cold'))} ms (registry), ${fmt(1000 / m(c, 'coldMemory'))} ms (in memory)` },
        ];
      });
      figures.push({ metric: 'keyless vs key, cold from the registry', value: fmt(m('keyless', 'cold')), reference: fmt(m('key', 'cold')), referenceName: 'key signature', ratio: fmtRatio(m('keyless', 'cold') / m('key', 'cold')) });
      return {
        method: [
          `Signatures made with the project's helpers (local/registry: \`signPayload\` with a fresh ECDSA P-256 cosign key; \`keylessSigner\` + \`signSimpleSigning\` with a generated Fulcio-like P-384 CA chain and a \`TestRekorLog\`), pushed in cosign's \`.sig\` layout to Debian's docker-registry on loopback. Policies as a service's \`verify:\` resolves: \`keys: [cosign.pub]\`; \`keyless\` with issuer + subject, \`rekor: required\`, a trusted root holding the CA chain and the log.`,
          `\`CosignSignatureVerifier\` with \`cache: false\` (cold: fetches the \`sha256-<hex>.sig\` manifest and the payload blob, then checks everything, parsing the certificate anew each time), with its default cache (cached: the verdict for the same digest and policy is remembered), and cold with \`clientFor\` returning an in-memory reader (no HTTP). ${CONCURRENCY} verifications in flight, ${SECONDS_PER_RUN} s per run, ${ROUNDS} rounds interleaving all six cases; medians.`,
        ],
        figures,
        targets: [{ target: 'verifications per second (no target set)', measured: `cold: ${fmt(m('key', 'cold'))} key / ${fmt(m('keyless', 'cold'))} keyless per second; cached: ${fmt(m('key', 'cached'))} / ${fmt(m('keyless', 'cached'))}`, met: null }],
        analysis: [
          `Cold, a key signature costs ${fmt(1000 / m('key', 'coldMemory'))} ms of CPU (parse the manifest and payload, check the ECDSA signature and the payload's claims) but ${fmt(1000 / m('key', 'cold'))} ms per verification from the registry: the two HTTP requests (the \`.sig\` manifest by tag, then the payload blob) and the registry's own work dominate, on the same 2 cores. A keyless signature adds the certificate chain (P-384 CA signatures), the certificate's identity and validity, and the Rekor SignedEntryTimestamp with its body: ${fmt(1000 / m('keyless', 'coldMemory'))} ms of CPU, ${fmtRatio(m('key', 'coldMemory') / m('keyless', 'coldMemory'))} the key signature's, so with the registry in the loop keyless is ${fmtRatio(m('keyless', 'cold') / m('key', 'cold'))} as fast.`,
          `Cached, a verification is a map look-up keyed by registry, repository, digest and policy hash: ${fmt(m('key', 'cached'), 0)} and ${fmt(m('keyless', 'cached'), 0)} per second, ${fmtRatio(m('key', 'cached') / m('key', 'cold'))} and ${fmtRatio(m('keyless', 'cached') / m('keyless', 'cold'))} the cold figures. Only verified verdicts are cached, so a rollout checked on the image push and again on the signature push, a duplicate delivery or a retry pays the cold cost once per process (per Lambda execution environment in AWS). Against a remote registry the fetches (and the token exchange of a registry with auth) cost tens of milliseconds each, so in practice the cold figure is the registry's latency, not the crypto.`,
        ],
        raw: samples,
      };
    } finally {
      await reg.stop();
    }
  },
};
