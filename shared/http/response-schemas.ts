/**
 * zod schemas of what the API answers (docs/api.md). They are the single description of the responses:
 * the OpenAPI document is generated from them, the contract tests `safeParse` real answers with them,
 * and the CLI takes its types from them. Objects are strict on purpose: a field the code starts
 * returning without documenting it here fails the contract test instead of drifting silently.
 */
import { z } from 'zod';
import { ROLLOUT_ID_PATTERN } from '../core/ids';
import { DIGEST_PATTERN } from '../webhooks/image-push';
import { EventType } from '../core/events';
import { ROLLOUT_STATUSES, StepStatus } from '../core/status';

const timestamp = z.iso.datetime().describe('ISO-8601 UTC timestamp');
const digest = z.string().regex(DIGEST_PATTERN).describe('image digest, `sha256:<64 hex>`');
const rolloutId = z.string().regex(ROLLOUT_ID_PATTERN).describe('rollout id: 26 characters, sortable by creation time');
const percent = z.int().min(0).max(100);

export const rolloutStatusSchema = z.enum(ROLLOUT_STATUSES).describe(
  'PENDING (waiting for its signature or the service lock), PROGRESSING, PAUSED (waiting for approval), PROMOTING (blue-green: production switched to the new task set, the old one kept for scaleDownDelay; an alarm or an abort switches back), SUCCEEDED, ROLLING_BACK, ROLLED_BACK, REJECTED (signature or policy refused it; ECS untouched), FAILED (the rollback itself failed)',
);

const setWeightStep = { setWeight: percent.describe('canary share, percent') };
const pauseStep = {
  pause: z.strictObject({
    duration: z.int().min(0).optional().describe('seconds to bake; absent: wait for approval'),
    name: z.string().optional().describe('what the pause is for (`qa-signoff`)'),
    approvals: z.int().min(1).optional().describe('approval pauses: distinct approvers needed'),
    timeout: z.int().min(0).optional().describe('approval pauses: seconds to wait for the approvals before `onTimeout`'),
    onTimeout: z.enum(['rollback', 'promote']).optional(),
  }),
};

/** A step as configured: exactly one of `setWeight` or `pause`. */
export const stepSpecSchema = z.union([z.strictObject(setWeightStep), z.strictObject(pauseStep)]);

const stepProgress = {
  status: z.enum(Object.values(StepStatus) as [StepStatus, ...StepStatus[]]),
  startedAt: timestamp.nullable(),
  completedAt: timestamp.nullable(),
};
export const rolloutStepSchema = z.union([
  z.strictObject({ ...setWeightStep, ...stepProgress }),
  z.strictObject({ ...pauseStep, ...stepProgress }),
]);

export const imageRefSchema = z.strictObject({
  registry: z.string().describe('registry host as configured'),
  repository: z.string(),
  tag: z.string().nullable(),
  digest,
});

export const signatureInfoSchema = z.strictObject({
  type: z.enum(['cosign-key', 'cosign-keyless', 'notation', 'aws-signer']),
  key: z.string().describe('the configured key that verified it; for keyless, `subject (issuer)`'),
  keyFingerprint: z.string().describe("sha256 of the signing key's SPKI DER, hex"),
  signatureManifest: z.string().nullable(),
  dockerReference: z.string(),
  verifiedAt: timestamp,
  format: z.enum(['simple-signing', 'sigstore-bundle', 'notation-jws', 'notation-cose']).optional(),
  bundleMediaType: z.string().optional(),
  identity: z.strictObject({ policy: z.string(), issuer: z.string(), subject: z.string() }).optional(),
  rekorLogIndex: z.int().nullable().optional(),
  rekorIntegratedTime: z.string().nullable().optional(),
  certificate: z.strictObject({ subject: z.string(), fingerprint: z.string() }).optional().describe("Notation: the signing certificate's subject and SHA-256"),
  signingTime: z.string().optional().describe('Notation: the signing time the envelope states'),
  timestampAuthority: z.string().nullable().optional().describe('the TSA whose RFC 3161 timestamp proved the signing time'),
  signingProfile: z.strictObject({ profileVersionArn: z.string(), jobArn: z.string() }).optional().describe('AWS Signer: profile version and job'),
  alsoVerifiedBy: z.array(z.strictObject({ type: z.string(), key: z.string() })).optional().describe('require: all: the other mechanisms that verified it'),
});

export const approvalSchema = z.strictObject({
  by: z.string(),
  credential: z.string().nullable().describe('the credential the approver used: `ROLLOUT_API_TOKEN`, a named token, `oidc:<issuer>`'),
  comment: z.string().nullable(),
  at: timestamp,
  step: z.int().min(0).describe('index of the pause step approved'),
});

export const rolloutEventSchema = z.strictObject({
  at: timestamp,
  type: z.enum(Object.values(EventType) as [EventType, ...EventType[]]),
  message: z.string(),
  seq: z.int().min(0).describe("position in the rollout's log, from 0"),
});

const ownWaits = [
  z.strictObject({ for: z.literal('signature'), until: timestamp.optional().describe('when a still-missing signature becomes a rejection') }),
  z.strictObject({ for: z.literal('lock'), behind: z.string().nullable().describe('the rollout holding the service lock') }),
  z.strictObject({ for: z.literal('steady'), since: timestamp }),
  z.strictObject({ for: z.literal('bake'), until: timestamp }),
  z.strictObject({ for: z.literal('approval'), until: timestamp.optional().describe('the approval deadline, when the pause has a timeout') }),
] as const;

const holdWait = z.strictObject({
  for: z.literal('hold'),
  reason: z.string().describe('what holds it: an alarm firing before the canary exists, no alarm data, an unsteady stable set'),
  since: timestamp,
  resume: z.discriminatedUnion('for', [...ownWaits]).nullable().describe('what it waits for once the hold clears'),
});

export const waitSchema = z
  .discriminatedUnion('for', [
    ...ownWaits,
    holdWait,
    z.strictObject({
      for: z.literal('manual'),
      by: z.string().describe('who paused it'),
      reason: z.string().nullable().describe('why, as they said'),
      since: timestamp,
      resume: z
        .discriminatedUnion('for', [...ownWaits, holdWait])
        .nullable()
        .describe('what it waited for when paused, given back on resume with its clock moved on by the time paused (a bake keeps the time it had left)'),
    }),
  ])
  .describe('what the rollout waits for now');

export const rolloutSchema = z.strictObject({
  id: rolloutId,
  service: z.string(),
  status: rolloutStatusSchema,
  image: imageRefSchema,
  previousDigest: digest.nullable().describe('the digest that was stable when the rollout started'),
  canaryWeight: percent.describe('the canary share ECS is set to now, percent'),
  trafficShare: percent.describe("the canary's actual share of traffic when last steady, percent: exact with ALB weights, from running task counts otherwise"),
  currentStep: z.int().min(0).nullable(),
  blueGreen: z
    .strictObject({
      previewListenerRule: z.string().describe('the test listener rule that forwards 100% to the new task set while it is previewed'),
      autoPromote: z.boolean().describe('true: promoted once the new set is steady; false: waits for approval'),
      scaleDownDelaySeconds: z.int().min(0).describe('seconds the old task set stays at full size after the switch'),
    })
    .optional()
    .describe('blue-green rollouts only: the settings it was created with; `canaryWeight` is then production\'s share of the new task set (0 while previewed, 100 once switched)'),
  steps: z.array(rolloutStepSchema),
  stepsHash: z.string(),
  steadyTimeoutSeconds: z.int().min(0).describe('seconds a weight may take to become steady before the rollout rolls back'),
  promoting: z.boolean().describe('true once promotion to 100% was decided'),
  approvals: z.array(approvalSchema),
  signature: signatureInfoSchema.nullable().describe('what verified the image; null until verified'),
  events: z.array(rolloutEventSchema).describe('oldest first'),
  reason: z.string().nullable().describe('why it ended the way it did (rolled back, rejected, failed)'),
  wait: waitSchema.nullable(),
  ecs: z.strictObject({
    stableTaskSetId: z.string().nullable(),
    canaryTaskSetId: z.string().nullable(),
    taskDefinitionArn: z.string().nullable(),
    claim: z
      .strictObject({ call: z.enum(['createCanary', 'promote']), since: z.string(), attempt: z.number().int().min(0).optional().describe('the clock attempt that claimed it') })
      .nullish()
      .describe('an ECS call one writer has claimed, so a second writer does not make it again'),
    canaryRequested: z.boolean().optional().describe('true once the canary task set was asked of ECS (it may exist before its id is known)'),
  }),
  createdAt: timestamp,
  updatedAt: timestamp,
  version: z.int().min(1).describe('optimistic-lock version'),
});

export const rolloutPageSchema = z.strictObject({
  items: z.array(rolloutSchema).describe('newest first'),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});

export const serviceSchema = z.strictObject({
  name: z.string().describe('the key under `services:` in the configuration'),
  cluster: z.string(),
  service: z.string().describe('the ECS service name'),
  image: z.string().describe('registry host and repository'),
  stable: digest.nullable().describe('digest of the image ECS runs now (its PRIMARY task set)'),
  stableImage: z.string().nullable(),
  activeRollout: rolloutId.nullable().describe('the rollout holding the service lock'),
  steps: z.array(stepSpecSchema),
  alarms: z.array(z.string()),
  ecsError: z.string().optional().describe('why ECS could not be described; `stable` is null then'),
});

export const serviceListSchema = z.strictObject({ items: z.array(serviceSchema) });

export const acceptedSchema = z.strictObject({ rolloutId, service: z.string(), status: rolloutStatusSchema });

/** Loose: each sender may say more about what it ignored; `reason` is always there. */
export const ignoredSchema = z.looseObject({
  reason: z.string(),
  service: z.string().optional(),
  repository: z.string().optional(),
  tag: z.string().nullable().optional(),
  digest: z.string().optional(),
  rolloutId: z.string().optional(),
});

export const ingestResultSchema = z.strictObject({
  accepted: z.array(acceptedSchema).describe('rollouts started or resumed'),
  ignored: z.array(ignoredSchema).describe('what the notification held that deploys nothing, with the reason'),
});

const deliveryId = z.string().regex(ROLLOUT_ID_PATTERN).describe('delivery id: 26 characters; derived from the notification when its sender identifies it (a repeat has the same id), else sortable by receipt time');

/** What a webhook is answered (docs/api.md, "Webhook intake"). */
export const deliveryReceiptSchema = z.strictObject({
  deliveryId,
  accepted: z.array(acceptedSchema).describe('the rollouts this delivery plans, with the ids they will have if they start (status `PENDING`): `GET /deliveries/{id}` says which did'),
  ignored: z.array(ignoredSchema).describe('what the configuration alone refuses (unknown repository, tag rules, cosign artifacts, blob pushes), with the reason'),
});

/** `GET /deliveries/{id}`: a delivery received (its work to come) or processed (its outcome). */
export const deliverySchema = z.strictObject({
  id: deliveryId,
  source: z.string().describe('the route or event it came in by: `registry`, `generic`, `ecr-event`, …'),
  status: z.enum(['RECEIVED', 'PROCESSED']).describe('`RECEIVED`: answered, its work not done yet; `PROCESSED`: its outcome is final'),
  receivedAt: timestamp,
  processedAt: timestamp.nullable(),
  accepted: z.array(acceptedSchema).describe('RECEIVED: the rollouts planned; PROCESSED: the rollouts started or resumed, with their status then'),
  ignored: z.array(ignoredSchema).describe('everything that deploys nothing, with the reason (once PROCESSED, also what the registry, ECS or the store decided)'),
});

/** RFC 9457 problem details (shared/http/problem.ts). */
export const problemSchema = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: z.int().min(400).max(599),
  detail: z.string().describe('what is wrong, in words'),
  instance: z.string().optional().describe('the request path'),
  errors: z.array(z.string()).optional().describe('each invalid field, as `path: message`'),
});

export const healthSchema = z.strictObject({ ok: z.literal(true) });

const alarmState = z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']);
export const alarmChangeSchema = z.strictObject({
  name: z.string(),
  state: alarmState,
  rolledBack: z.array(rolloutId).describe('rollouts this change rolled back'),
});
export const alarmListSchema = z.record(z.string(), z.strictObject({ state: alarmState, reason: z.string().nullable(), updatedAt: timestamp }));

/** `GET /local/endpoints`: AWS CLI service name → URL of the local stand-in. */
export const localEndpointsSchema = z.record(z.string(), z.string().url());

export type RolloutView = z.infer<typeof rolloutSchema>;
export type RolloutPageView = z.infer<typeof rolloutPageSchema>;
export type ServiceDescription = z.infer<typeof serviceSchema>;
export type IngestResultView = z.infer<typeof ingestResultSchema>;
export type DeliveryView = z.infer<typeof deliverySchema>;
export type ProblemView = z.infer<typeof problemSchema>;
