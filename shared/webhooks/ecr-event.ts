/**
 * ECR pushes as EventBridge delivers them (`ECR Image Action`). No registry host is in the event:
 * it is the account's private registry, `<account>.dkr.ecr.<region>.amazonaws.com`.
 */
import * as z from 'zod/mini';
import type { ImagePush } from './image-push';
import { deliveryIdProblem, digestProblem, repositoryProblem, tagProblem, word } from './delivery';

export const ecrImageActionSchema = z.object({
  'detail-type': z.literal('ECR Image Action'),
  source: z.literal('aws.ecr'),
  id: z.optional(z.string()),
  account: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id')),
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region')),
  detail: z.object({
    'action-type': z.string(),
    result: z.string(),
    'repository-name': z.string().check(z.minLength(1)),
    'image-digest': z.optional(z.string()),
    'image-tag': z.optional(z.string()),
  }),
});

export type EcrImageAction = z.infer<typeof ecrImageActionSchema>;

export type EcrParse = { readonly push: ImagePush } | { readonly ignored: { readonly reason: string; readonly repository: string } };

export function parseEcrImageAction(event: EcrImageAction): EcrParse {
  const d = event.detail;
  // Echoed only when it is a repository name: an answer repeats nothing oversized.
  const repository = repositoryProblem('', d['repository-name']) === null ? d['repository-name'] : '';
  if (d['action-type'] !== 'PUSH') return { ignored: { repository, reason: `action-type ${word(d['action-type'])} is not a push` } };
  if (d.result !== 'SUCCESS') return { ignored: { repository, reason: `push result is ${word(d.result)}` } };
  const digest = d['image-digest'];
  // ECR sends "" for an untagged push.
  const tag = d['image-tag'] ? d['image-tag'] : null;
  const problem =
    repositoryProblem('detail.repository-name', d['repository-name']) ??
    digestProblem('detail.image-digest', digest) ??
    (tag === null ? null : tagProblem('detail.image-tag', tag)) ??
    deliveryIdProblem('id', event.id);
  if (problem) return { ignored: { repository, reason: problem } };
  return {
    push: {
      registry: `${event.account}.dkr.ecr.${event.region}.amazonaws.com`,
      repository,
      tag,
      digest: digest!,
      source: `ECR push event${event.id ? ` ${event.id}` : ''}`,
      // ECR's own event, delivered by EventBridge: the tag is the registry's word.
      tagConfirmed: true,
    },
  };
}
