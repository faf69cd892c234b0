/**
 * Two small formats. Azure Container Registry posts one distribution-style event, with no `events`
 * envelope (and a `ping` without a target when the webhook is tested). The generic route takes what a
 * CI job knows after pushing: `{"image": "registry/repo@sha256:…", "tag"?: "v1.2.3"}`; it must be pinned
 * by digest, because a tag can move between the push and the deploy.
 */
import * as z from 'zod/mini';
import { DIGEST_PATTERN } from './image-push';
import { parseImageReference } from '../config/image-name';
import { type ParsedDelivery, TAG_PATTERN, emptyDelivery, quote } from './delivery';
import { distributionEventSchema, parseDistributionEvent } from './distribution';

// ---- Azure Container Registry ----------------------------------------------------------------------

export const acrEventSchema = z.extend(distributionEventSchema, { target: z.optional(distributionEventSchema.shape.target) }).check(
  z.superRefine((event, ctx) => {
    if (event.action === 'push' && !event.target) ctx.addIssue({ code: 'custom', path: ['target'], message: 'is required in a push event', input: undefined });
  }),
);

export type AcrEvent = z.infer<typeof acrEventSchema>;

export function parseAcrEvent(event: AcrEvent): ParsedDelivery {
  const result = emptyDelivery();
  if (!event.target) return (result.ignored.push({ reason: `action ${quote(event.action)} is not a push` }), result);
  const parsed = parseDistributionEvent({ ...event, target: event.target }, '');
  if ('source' in parsed) result.pushes.push({ ...parsed, source: `ACR ${event.action} event${event.id ? ` ${event.id}` : ''}` });
  else result.ignored.push(parsed);
  return result;
}

// ---- generic (CI) ----------------------------------------------------------------------------------

const PRINTABLE = /^[\x20-\x7e]*$/;

const genericPushBody = z.strictObject({
  image: z.string().check(z.maxLength(512)),
  tag: z.nullish(z.string().check(z.maxLength(128), z.regex(TAG_PATTERN, { error: 'must be a tag: letters, digits, _ . and -, up to 128, not starting with . or -' }))),
  /** Free text for the rollout's first event: which pipeline run pushed it. */
  source: z.nullish(z.string().check(z.maxLength(200), z.regex(PRINTABLE, { error: 'must be printable ASCII' }))),
});

export const genericPushSchema = z.pipe(
  genericPushBody,
  z.transform((body: z.output<typeof genericPushBody>, ctx) => {
    const ref = parseImageReference(body.image);
    if (!ref.ok) {
      ctx.issues.push({ code: 'custom', path: ['image'], message: ref.message, input: body.image });
      return z.NEVER;
    }
    const { registry, repository, digest } = ref.value;
    if (!digest || !DIGEST_PATTERN.test(digest)) {
      ctx.issues.push({ code: 'custom', path: ['image'], message: `must be pinned by a sha256 digest, like ${registry}/${repository}@sha256:<64 hex>: a tag can move before the deploy`, input: body.image });
      return z.NEVER;
    }
    if (body.tag && ref.value.tag && body.tag !== ref.value.tag) {
      ctx.issues.push({ code: 'custom', path: ['tag'], message: `differs from the tag in image (${ref.value.tag})`, input: body.tag });
      return z.NEVER;
    }
    return { registry, repository, digest, tag: body.tag ?? ref.value.tag ?? null, source: body.source ?? null };
  }),
);

export function parseGenericPush(body: z.output<typeof genericPushSchema>): ParsedDelivery {
  const result = emptyDelivery();
  const { source, ...image } = body;
  result.pushes.push({ ...image, source: `generic push${source ? `: ${source}` : ''}` });
  return result;
}
