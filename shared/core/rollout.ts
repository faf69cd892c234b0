import type { BlueGreenSpec } from './blue-green';
import type { RolloutEvent } from './events';
import type { RolloutStatus, StepStatus } from './status';
import type { StepSpec } from './steps';

export interface ImageRef {
  /** Registry host as configured, e.g. `127.0.0.1:5000` or `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | null;
  /** `sha256:<64 hex>`: rollouts deploy by digest, never by tag. */
  readonly digest: string;
}

/** What verified the image. */
export interface SignatureInfo {
  /**
   * `cosign-key`: a configured public key; `cosign-keyless`: a Fulcio (or private CA) certificate;
   * `notation`: a Notation signature under `verify.notation`; `aws-signer`: an AWS Signer signature.
   */
  readonly type: 'cosign-key' | 'cosign-keyless' | 'notation' | 'aws-signer';
  /** The configured key that verified it (the path as written in the config, or `inline[n]`); for keyless, `subject (issuer)`. */
  readonly key: string;
  /** sha256 of the signing key's SPKI DER, hex: identifies the key whatever its file is called (the certificate's key for keyless). */
  readonly keyFingerprint: string;
  /** The manifest the signature came from: the `sha256-<hex>.sig` manifest, or the bundle's referrer manifest. */
  readonly signatureManifest: string | null;
  /** The repository the signature vouches for: the payload's docker-reference, or the in-toto subject name. */
  readonly dockerReference: string;
  readonly verifiedAt: string;
  /**
   * `simple-signing` (cosign's `.sig` tag), `sigstore-bundle` (cosign v3, found through the referrers API),
   * `notation-jws` / `notation-cose` (a Notation envelope). Absent: simple-signing.
   */
  readonly format?: 'simple-signing' | 'sigstore-bundle' | 'notation-jws' | 'notation-cose';
  /** The bundle's media type, for `sigstore-bundle`. */
  readonly bundleMediaType?: string;
  /** The keyless identity that matched: the `verify.keyless` entry, the certificate's OIDC issuer and subject. */
  readonly identity?: { readonly policy: string; readonly issuer: string; readonly subject: string };
  /** The Rekor log index of the verified transparency-log entry; null when the signature had none. */
  readonly rekorLogIndex?: number | null;
  /** Rekor's integrated time (ISO-8601), when there is an entry. */
  readonly rekorIntegratedTime?: string | null;
  /** Notation and AWS Signer: the signing certificate's subject and the SHA-256 of its DER, hex. */
  readonly certificate?: { readonly subject: string; readonly fingerprint: string };
  /** Notation and AWS Signer: the signing time the envelope states (authentic for AWS Signer). */
  readonly signingTime?: string;
  /** The timestamp authority whose RFC 3161 countersignature proved the signing time; null when none did. */
  readonly timestampAuthority?: string | null;
  /** AWS Signer: the signing profile version and the signing job, from the signature's signed attributes. */
  readonly signingProfile?: { readonly profileVersionArn: string; readonly jobArn: string };
  /** With `verify.require: all`: the other mechanisms that verified the image too (`type` and `key` each). */
  readonly alsoVerifiedBy?: readonly { readonly type: string; readonly key: string }[];
}

export interface Approval {
  readonly by: string;
  /** The credential the approver used (see Actor). */
  readonly credential: string | null;
  readonly comment: string | null;
  readonly at: string;
  /** Index of the pause step approved. */
  readonly step: number;
}

export type RolloutStep = StepSpec & {
  readonly status: StepStatus;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
};

/** What the rollout waits for now; null while it has nothing to wait for. */
export type Wait =
  /** `until`: when a still-missing signature becomes a rejection (`verify.waitFor`). */
  | { readonly for: 'signature'; readonly until?: string }
  | { readonly for: 'lock'; readonly behind: string | null }
  | { readonly for: 'steady'; readonly since: string }
  | { readonly for: 'bake'; readonly until: string }
  /** `until`: the approval deadline, when the pause has a timeout. */
  | { readonly for: 'approval'; readonly until?: string }
  /** Held by something outside the rollout (see the `Hold` input); re-checked every poll. */
  | { readonly for: 'hold'; readonly reason: string; readonly since: string; readonly resume: Exclude<Wait, { for: 'hold' | 'manual' }> | null }
  /**
   * Paused by hand (the `Pause` command) until someone resumes it. `resume`: what it waited for
   * before, given back on resume with its clock moved on by the time paused (a bake keeps the time it had left).
   */
  | { readonly for: 'manual'; readonly by: string; readonly reason: string | null; readonly since: string; readonly resume: Exclude<Wait, { for: 'manual' }> | null };

/** The ECS objects this rollout works with. */
export interface EcsRefs {
  readonly stableTaskSetId: string | null;
  readonly canaryTaskSetId: string | null;
  readonly taskDefinitionArn: string | null;
  /**
   * A create-canary or promote call one writer has claimed (recorded under the version check before
   * calling ECS), so that a second writer advancing the same rollout does not make the call again.
   * A claim older than RolloutPolicy.claimLifetimeSeconds is taken to have died with its writer, and so
   * is one made under an older clock attempt (`attempt`): a new clock is only started once the old one
   * stopped, so the writer that claimed it is gone.
   */
  readonly claim?: { readonly call: 'createCanary' | 'promote'; readonly since: string; readonly attempt?: number } | null;
  /**
   * True once a create-canary call was asked for: a canary may exist even while `canaryTaskSetId` is
   * null (its answer was lost), and ECS describes may not show it yet, so a rollback looks for it again.
   */
  readonly canaryRequested?: boolean;
}

export interface RolloutClockRef {
  readonly attempt: number;
  /** When this attempt was taken. */
  readonly since: string;
}

/** The execution name of a clock attempt (contract: `<rolloutId>-<attempt>`; attempt 0 is the legacy name). */
export function clockName(rolloutId: string, attempt: number): string {
  return attempt === 0 ? rolloutId : `${rolloutId}-${attempt}`;
}

export interface Rollout {
  readonly id: string;
  readonly service: string;
  readonly status: RolloutStatus;
  readonly image: ImageRef;
  /** The digest that was stable when the rollout started (null before it starts or when unknown). */
  readonly previousDigest: string | null;
  /**
   * The canary's share, 0-100, that ECS is being set to: the recorded intent. Every writer records it
   * before calling ECS, so whoever loses a race converges on the latest intent instead of undoing it.
   */
  readonly canaryWeight: number;
  /**
   * The canary's actual share of traffic, 0-100, when last seen steady: exact with ALB weights, from
   * running task counts otherwise (docs/configuration.md#traffic). Absent on records from before it.
   */
  readonly trafficShare?: number;
  readonly currentStep: number | null;
  /**
   * Blue-green (shared/core/blue-green.ts): the preview rule, autoPromote and scaleDownDelay the rollout
   * was created with; absent for a canary. `canaryWeight` is then production's share of the new set (0
   * while previewed, 100 once switched) and both task sets run at full size.
   */
  readonly blueGreen?: BlueGreenSpec;
  readonly steps: readonly RolloutStep[];
  readonly stepsHash: string;
  /** Seconds a recorded weight may take to become steady before the rollout rolls back. */
  readonly steadyTimeoutSeconds: number;
  /** True once promotion to 100% was decided (last step done, or an explicit promote). */
  readonly promoting: boolean;
  readonly approvals: readonly Approval[];
  readonly signature: SignatureInfo | null;
  readonly events: readonly RolloutEvent[];
  readonly reason: string | null;
  readonly wait: Wait | null;
  readonly ecs: EcsRefs;
  /**
   * Step Functions task token of the workflow's callback wait (an approval), kept until the wait was
   * answered (a failed answer is sent again); never shown by the API.
   */
  readonly taskToken: string | null;
  /**
   * The rollout's clock: the attempt number of the workflow execution that drives it, named
   * `<id>-<attempt>` (attempt 0, or no clock, is an execution from before attempts, named `<id>`).
   * Whoever starts a new execution takes the next attempt with a version-checked save first, so two
   * starters cannot both start one (docs/architecture.md, "The record owns the clock").
   */
  readonly clock?: RolloutClockRef | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Optimistic-lock version: every successful save increments it by one. */
  readonly version: number;
}
