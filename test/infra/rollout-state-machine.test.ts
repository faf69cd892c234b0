/** The workflow as the orchestrator wires it: retries on transient errors, every failure to Recover, callback approvals. */
import { describe, expect, it } from 'vitest';
import { TRANSIENT_ERRORS } from '../../infra/rollout-state-machine';
import { ROLLOUT_ENDED_ERROR } from '../../shared/adapters/step-functions/step-functions-workflow';
import { aslOf } from '../helpers/asl';
import { ACCOUNT, configFrom, logicalId, REGION, synth } from './infra-fixtures';

type State = Record<string, any>;

async function workflow() {
  const { stack, template } = synth(await configFrom());
  const asl = aslOf(template) as { StartAt: string; States: Record<string, State> };
  return { stack, template, asl, states: asl.States };
}

describe('the rollout state machine', () => {
  it('is a Standard workflow with a fixed name, the ARN the functions are given', async () => {
    const { template } = await workflow();
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as State[];
    expect(machine!.Properties).toMatchObject({ StateMachineType: 'STANDARD', StateMachineName: 'Rollout-Orchestrator-0E8FC0EE-Workflow' });
    expect(`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${machine!.Properties.StateMachineName}`).toBe(
      `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Rollout-Orchestrator-0E8FC0EE-Workflow`,
    );
  });

  it('starts at Advance and retries Advance and Recover on transient errors', async () => {
    const { asl, states } = await workflow();
    expect(asl.StartAt).toBe('Advance');
    for (const name of ['Advance', 'Recover']) {
      const retriers = states[name]!.Retry as { ErrorEquals: string[] }[];
      expect(retriers.map((r) => r.ErrorEquals), name).toContainEqual(TRANSIENT_ERRORS);
    }
  });

  it('catches every failure of Advance and AwaitApproval in Recover', async () => {
    const { states } = await workflow();
    const catchAll = (name: string) => (states[name]!.Catch as { ErrorEquals: string[]; Next: string }[]).find((c) => c.ErrorEquals.includes('States.ALL'));
    expect(catchAll('Advance')).toMatchObject({ Next: 'Recover', ResultPath: '$.error' });
    expect(catchAll('AwaitApproval')).toMatchObject({ Next: 'Recover', ResultPath: '$.error' });
    expect(catchAll('Recover')).toMatchObject({ Next: 'RecoveryFailed' });
  });

  it('routes Recover’s directive like Advance’s, so a converging rollback is driven on', async () => {
    const { states } = await workflow();
    expect(states.Recover!.Next).toBe('Route');
    expect(states.Advance!.Next).toBe('Route');
    expect(states.Route!.Choices).toEqual([
      { Variable: '$.directive.next', StringEquals: 'WAIT', Next: 'Wait' },
      { Variable: '$.directive.next', StringEquals: 'APPROVAL', Next: 'AwaitApproval' },
    ]);
    expect(states.Wait).toMatchObject({ Type: 'Wait', SecondsPath: '$.directive.seconds', Next: 'Advance' });
  });

  it('waits for approval with a task token, a static timeout and no TimeoutSecondsPath', async () => {
    const { stack, states } = await workflow();
    const approval = states.AwaitApproval!;
    expect(approval.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(approval.Parameters.FunctionName).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${logicalId(stack.orchestrator.functions.awaitApproval)}`);
    expect(approval.Parameters.Payload).toEqual({ 'rolloutId.$': '$.rolloutId', 'taskToken.$': '$$.Task.Token' });
    expect(approval.TimeoutSeconds).toBe(86400);
    expect(approval).not.toHaveProperty('TimeoutSecondsPath');
    const back = (approval.Catch as { ErrorEquals: string[]; Next: string }[])[0];
    expect(back).toEqual({ ErrorEquals: ['States.Timeout', ROLLOUT_ENDED_ERROR], ResultPath: null, Next: 'Advance' });
  });

  it('lets its role invoke exactly the three step functions', async () => {
    const { stack, template } = await workflow();
    const { functions, workflow: machine } = stack.orchestrator;
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(machine.stateMachine.role) }] } }),
    ) as State[];
    const invoke = (policy!.Properties.PolicyDocument.Statement as State[]).filter((s) => s.Action === 'lambda:InvokeFunction');
    const arns = [functions.advance, functions.awaitApproval, functions.recover].flatMap((fn) => {
      const arn = { 'Fn::GetAtt': [logicalId(fn), 'Arn'] };
      return [arn, { 'Fn::Join': ['', [arn, ':*']] }];
    });
    expect(invoke.flatMap((s) => s.Resource).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      arns.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
  });

  it('takes the approval wait timeout from the orchestrator props', async () => {
    const { Duration } = await import('aws-cdk-lib');
    const { template } = synth(await configFrom(), { approvalWaitTimeout: Duration.hours(6) });
    expect((aslOf(template) as { States: Record<string, State> }).States.AwaitApproval!.TimeoutSeconds).toBe(21600);
  });
});
