/**
 * The named schemas of the OpenAPI document (`#/components/schemas/<id>`), converted with zod's own
 * JSON Schema export. Requests are converted as zod's input side, responses as its output side: a
 * schema that coerces or defaults documents what a client sends, and what it receives, respectively.
 */
import { z } from 'zod';
import type { $ZodType } from 'zod/v4/core';
import * as res from '../response-schemas';
import { abortBody, approveBody, localAlarmBody, pauseBody, promoteBody, resumeBody, retryBody } from '../schemas';
import { WEBHOOK_ROUTES } from '../webhook-routes';

type JsonSchema = Record<string, unknown>;
type Meta = { id: string };

const REF_PREFIX = '#/components/schemas/';

const requests = z.registry<Meta>();
requests.add(approveBody, { id: 'DecisionRequest' });
requests.add(abortBody, { id: 'AbortRequest' });
requests.add(promoteBody, { id: 'PromoteRequest' });
requests.add(retryBody, { id: 'RetryRequest' });
requests.add(pauseBody, { id: 'PauseRequest' });
requests.add(resumeBody, { id: 'ResumeRequest' });
requests.add(localAlarmBody, { id: 'LocalAlarmRequest' });
// Each webhook sender's body, named for its source: `RegistryNotification`, `EcrNotification`...
for (const route of WEBHOOK_ROUTES) {
  if (!requests.has(route.schema)) requests.add(route.schema, { id: `${route.source[0]!.toUpperCase()}${route.source.slice(1)}Notification` });
}

const responses = z.registry<Meta>();
const named: Record<string, z.ZodType> = {
  Rollout: res.rolloutSchema,
  RolloutPage: res.rolloutPageSchema,
  RolloutStatus: res.rolloutStatusSchema,
  RolloutStep: res.rolloutStepSchema,
  StepSpec: res.stepSpecSchema,
  ImageRef: res.imageRefSchema,
  SignatureInfo: res.signatureInfoSchema,
  Approval: res.approvalSchema,
  RolloutEvent: res.rolloutEventSchema,
  Wait: res.waitSchema,
  Service: res.serviceSchema,
  ServiceList: res.serviceListSchema,
  IngestResult: res.ingestResultSchema,
  DeliveryReceipt: res.deliveryReceiptSchema,
  Delivery: res.deliverySchema,
  Accepted: res.acceptedSchema,
  Ignored: res.ignoredSchema,
  Problem: res.problemSchema,
  Health: res.healthSchema,
  AlarmChange: res.alarmChangeSchema,
  AlarmList: res.alarmListSchema,
};
for (const [id, schema] of Object.entries(named)) responses.add(schema, { id });

/** Drops the keywords that make sense for a standalone JSON Schema but not inside an OpenAPI document. */
function embeddable(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function convert(registry: z.core.$ZodRegistry<Meta>, io: 'input' | 'output'): Record<string, JsonSchema> {
  // unrepresentable: 'any' so that a refinement or custom check in a sender's schema documents as "anything" there instead of failing the document.
  const { schemas } = z.toJSONSchema(registry, { io, target: 'draft-2020-12', unrepresentable: 'any', uri: (id) => `${REF_PREFIX}${id}` });
  // Shared $defs appear only for recursive schemas, which the API does not have: fail loudly if one comes.
  if ('__shared' in schemas) throw new Error('OpenAPI components: recursive schemas are not supported; give the shared part an id');
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, embeddable(s as JsonSchema)]));
}

/** `components.schemas` of the document. */
export function componentSchemas(): Record<string, JsonSchema> {
  const out = convert(responses, 'output');
  for (const [id, schema] of Object.entries(convert(requests, 'input'))) {
    if (id in out) throw new Error(`OpenAPI components: ${id} names both a request and a response schema`);
    out[id] = schema;
  }
  return out;
}

/** A schema as used in an operation: a `$ref` when it is a named component, else inlined in full. */
export function schemaRef(schema: $ZodType, io: 'input' | 'output'): JsonSchema {
  const registry = io === 'input' ? requests : responses;
  const id = registry.get(schema)?.id;
  if (id) return { $ref: `${REF_PREFIX}${id}` };
  return embeddable(z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema);
}
