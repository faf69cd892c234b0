/**
 * The response schemas against the TypeScript types of what the code returns: a field added to
 * `Rollout` (or removed) without the schema following fails type checking here (`npm run typecheck`).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { presentRollout } from '../../../shared/http/app';
import type { deliveryReceiptSchema, ingestResultSchema, rolloutSchema, serviceSchema } from '../../../shared/http/response-schemas';
import { problemSchema } from '../../../shared/http/response-schemas';
import type { Problem } from '../../../shared/http/problem';

/** readonly removed all the way down, so that the core's readonly types compare with zod's output. */
type Writable<T> = T extends (infer U)[] | readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;

describe('the response schemas', () => {
  it('describe exactly the types the routes return', () => {
    expectTypeOf<z.infer<typeof rolloutSchema>>().toEqualTypeOf<Writable<ReturnType<typeof presentRollout>>>();
    expectTypeOf<z.infer<typeof serviceSchema>>().toEqualTypeOf<Writable<Awaited<ReturnType<Orchestrator['describeService']>>>>();
    expectTypeOf<Writable<Problem>>().toExtend<z.infer<typeof problemSchema>>();
    expectTypeOf<Writable<Awaited<ReturnType<Orchestrator['ingest']>>>>().toExtend<z.infer<typeof ingestResultSchema>>();
    expectTypeOf<Writable<Awaited<ReturnType<Orchestrator['accept']>>>>().toExtend<z.infer<typeof deliveryReceiptSchema>>();
  });

  it('refuse a field the code does not document', () => {
    const problem = { type: 'about:blank', title: 'Not found', status: 404, detail: 'x' };
    expect(problemSchema.safeParse(problem).success).toBe(true);
    expect(problemSchema.safeParse({ ...problem, stack: 'at ...' }).success).toBe(false);
  });
});
