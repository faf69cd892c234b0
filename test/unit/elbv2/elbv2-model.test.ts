import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as sdkModel from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { ElbV2StandIn } from '../../../local/elbv2-stand-in';
import { structureShape } from '../../../local/elbv2-stand-in/query-schema';
import { operationSchemas } from '../../../local/elbv2-stand-in/wire';

/** Debian's python3-botocore carries the ELBv2 model as JSON; optional (the tests do not need it installed). */
const BOTOCORE_ELBV2 = '/usr/lib/python3/dist-packages/botocore/data/elbv2';
type BotocoreShape = { type?: string; members?: Record<string, { shape: string }>; required?: string[]; error?: { code?: string } };
const botocoreModel = existsSync(BOTOCORE_ELBV2)
  ? (JSON.parse(readFileSync(join(BOTOCORE_ELBV2, readdirSync(BOTOCORE_ELBV2).sort().at(-1)!, 'service-2.json'), 'utf8')) as {
      metadata: { protocol: string; apiVersion: string };
      shapes: Record<string, BotocoreShape>;
      operations: Record<string, { input?: { shape: string }; output?: { shape: string; resultWrapper?: string }; errors?: { shape: string }[] }>;
    })
  : null;

const standIn = new ElbV2StandIn();
const operations = standIn.operationNames;

/** The error codes each operation's implementation can answer beyond the generic ValidationError. */
const CODES: Readonly<Record<string, readonly string[]>> = {
  DescribeLoadBalancers: ['LoadBalancerNotFound'],
  DescribeListeners: ['ListenerNotFound', 'LoadBalancerNotFound'],
  DescribeRules: ['ListenerNotFound', 'RuleNotFound'],
  ModifyRule: ['RuleNotFound', 'OperationNotPermitted', 'TargetGroupNotFound', 'InvalidLoadBalancerAction', 'IncompatibleProtocols', 'TargetGroupAssociationLimit'],
  ModifyListener: ['ListenerNotFound', 'TargetGroupNotFound', 'InvalidLoadBalancerAction', 'IncompatibleProtocols', 'TargetGroupAssociationLimit', 'InvalidConfigurationRequest'],
  DescribeTargetGroups: ['LoadBalancerNotFound', 'TargetGroupNotFound'],
  DescribeTargetGroupAttributes: ['TargetGroupNotFound'],
  DescribeTargetHealth: ['TargetGroupNotFound', 'InvalidTarget'],
  RegisterTargets: ['TargetGroupNotFound', 'InvalidTarget'],
  DeregisterTargets: ['TargetGroupNotFound', 'InvalidTarget'],
};

describe.skipIf(!botocoreModel)("the stand-in's request shapes against botocore's ELBv2 model (python3-botocore)", () => {
  it('is the Query protocol, version 2015-12-01', () => {
    expect(botocoreModel!.metadata).toMatchObject({ protocol: 'query', apiVersion: '2015-12-01' });
  });

  // botocore's model may be older than the SDK's: it may lack members added since, never have others.
  it.each(operations)('%s: every botocore request member is accepted, and the same ones are required', (operation) => {
    const botocore = botocoreModel!.shapes[botocoreModel!.operations[operation]!.input!.shape]!;
    const accepted = structureShape(operationSchemas(operation)!.input);
    expect(accepted.members).toEqual(expect.arrayContaining(Object.keys(botocore.members ?? {})));
    expect([...accepted.required].sort()).toEqual([...(botocore.required ?? [])].sort());
  });

  it.each(['Action', 'ForwardActionConfig', 'TargetGroupTuple', 'TargetGroupStickinessConfig', 'AuthenticateOidcActionConfig', 'RuleCondition', 'TargetDescription'])(
    '%s: the nested shape the stand-in decodes has every botocore member and the same required ones',
    (shape) => {
      const botocore = botocoreModel!.shapes[shape]!;
      const sdk = structureShape(nested(shape));
      expect(sdk.members).toEqual(expect.arrayContaining(Object.keys(botocore.members ?? {})));
      expect([...sdk.required].sort()).toEqual([...(botocore.required ?? [])].sort());
    },
  );

  it.each(operations)('%s: answers only error codes the model lists for it', (operation) => {
    const listed = (botocoreModel!.operations[operation]!.errors ?? []).map((e) => botocoreModel!.shapes[e.shape]!.error?.code);
    expect(listed).toEqual(expect.arrayContaining([...CODES[operation]!]));
  });

  it.each(operations)('%s: answers wrapped in <%sResult>, as the model says', (operation) => {
    expect(botocoreModel!.operations[operation]!.output?.resultWrapper).toBe(`${operation}Result`);
  });
});

/** A structure schema of the SDK's model by its shape name (`Action` → `Action$`). */
function nested(shape: string): unknown {
  return (sdkModel as unknown as Record<string, unknown>)[`${shape}$`];
}
