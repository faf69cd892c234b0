/**
 * ECR pushes as EventBridge delivers them (`ECR Image Action`). No registry host is in the event:
 * it is the account's private registry, `<account>.dkr.ecr.<region>.amazonaws.com`.
 */
import { z } from 'zod';
import { DIGEST_PATTERN, type ImagePush } from './image-push';

export const ecrImageActionSchema = z.object({
  'detail-type': z.literal('ECR Image Action'),
  source: z.literal('aws.ecr'),
  id: z.string().optional(),
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region'),
  detail: z.object({
    'action-type': z.string(),
    result: z.string(),
    'repository-name': z.string().min(1),
    'image-digest': z.string().optional(),
    'image-tag': z.string().optional(),
  }),
});

export type EcrImageAction = z.infer<typeof ecrImageActionSchema>;

export type EcrParse = { readonly push: ImagePush } | { readonly ignored: { readonly reason: string; readonly repository: string } };

export function parseEcrImageAction(event: EcrImageAction): EcrParse {
  const d = event.detail;
  const repository = d['repository-name'];
  if (d['action-type'] !== 'PUSH') return { ignored: { repository, reason: `action-type ${d['action-type']} is not a push` } };
  if (d.result !== 'SUCCESS') return { ignored: { repository, reason: `push result is ${d.result}` } };
  const digest = d['image-digest'];
  if (!digest || !DIGEST_PATTERN.test(digest)) {
    return { ignored: { repository, reason: `detail.image-digest: ${JSON.stringify(digest ?? null)} is not sha256:<64 lower-case hex>` } };
  }
  return {
    push: {
      registry: `${event.account}.dkr.ecr.${event.region}.amazonaws.com`,
      repository,
      // ECR sends "" for an untagged push.
      tag: d['image-tag'] ? d['image-tag'] : null,
      digest,
      source: `ECR push event${event.id ? ` ${event.id}` : ''}`,
    },
  };
}
