/** The workflow as the orchestrator wires it: retries on transient errors, every failure to Recover, callback waits for approvals and ECS. */
import { describe, expect, it } from 'vitest';
import { LAMBDA_TRANSIENT_ERRORS, TRANSIENT_ERRORS } from '../../infra/rollout-state-machine';
import { ROLLOUT_ENDED_ERROR } from '../../shared/adapters/step-functions/step-functions-workflow';
import { aslOf } from '../helpers/asl';
import { ACCOUNT, configFrom, logicalId, REGION, synth, synthDefault } from './infra-fixtures';

type State = Record<string, any>;

async function workflow() {
  const { stack, template } = await synthDefault();
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

  it('retries Lambda’s own failures first in every task, with exponential backoff and full jitter', async () => {
    const { states } = await workflow();
    const attempts = { Advance: 8, Recover: 12, AwaitApproval: 8, AwaitSteady: 8 };
    for (const [name, maxAttempts] of Object.entries(attempts)) {
      const [first] = states[name]!.Retry as State[];
      expect(first, name).toEqual({
        ErrorEquals: LAMBDA_TRANSIENT_ERRORS,
        IntervalSeconds: 2,
        MaxAttempts: maxAttempts,
        BackoffRate: 2,
        MaxDelaySeconds: 60,
        JitterStrategy: 'FULL',
      });
    }
    expect(LAMBDA_TRANSIENT_ERRORS).toContain('Lambda.TooManyRequestsException');
    // A callback wait's timeout is no failure to retry: it goes back to Advance (below).
    for (const name of ['AwaitApproval', 'AwaitSteady']) expect((states[name]!.Retry as State[]).flatMap((r) => r.ErrorEquals)).not.toContain('States.Timeout');
    expect((states.Recover!.Retry as State[]).at(-1)).toMatchObject({ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 6, JitterStrategy: 'FULL' });
  });

  it('catches every failure of Advance and of the callback waits in Recover', async () => {
    const { states } = await workflow();
    const catchAll = (name: string) => (states[name]!.Catch as { ErrorEquals: string[]; Next: string }[]).find((c) => c.ErrorEquals.includes('States.ALL'));
    expect(catchAll('Advance')).toMatchObject({ Next: 'Recover', ResultPath: '$.error' });
    expect(catchAll('AwaitApproval')).toMatchObject({ Next: 'Recover', ResultPath: '$.error' });
    expect(catchAll('AwaitSteady')).toMatchObject({ Next: 'Recover', ResultPath: '$.error' });
    expect(catchAll('Recover')).toMatchObject({ Next: 'RecoveryFailed' });
  });

  it('routes Recover’s directive like Advance’s, so a converging rollback is driven on', async () => {
    const { states } = await workflow();
    expect(states.Recover!.Next).toBe('Route');
    expect(states.Advance!.Next).toBe('Route');
    expect(states.Route!.Choices).toEqual([
      { Variable: '$.directive.next', StringEquals: 'WAIT', Next: 'Wait' },
      { Variable: '$.directive.next', StringEquals: 'STEADY', Next: 'AwaitSteady' },
      { Variable: '$.directive.next', StringEquals: 'APPROVAL', Next: 'AwaitApproval' },
    ]);
    expect(states.Route!.Default).toBe('Done');
    expect(states.Wait).toMatchObject({ Type: 'Wait', SecondsPath: '$.directive.seconds', Next: 'Advance' });
  });

  it('waits for approval with a task token, a static timeout and no TimeoutSecondsPath', async () => {
    const { stack, states } = await workflow();
    const approval = states.AwaitApproval!;
    expect(approval.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(approval.Parameters.FunctionName).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${logicalId(stack.orchestrator.functions.awaitApproval)}`);
    expect(approval.Parameters.Payload).toEqual({ 'rolloutId.$': '$.rolloutId', 'taskToken.$': '$$.Task.Token', 'directive.$': '$.directive' });
    expect(approval.TimeoutSeconds).toBe(86400);
    expect(approval).not.toHaveProperty('TimeoutSecondsPath');
    const back = (approval.Catch as { ErrorEquals: string[]; Next: string }[])[0];
    // A wait that was not answered hands nothing on: the Advance after it reads the record.
    expect(back).toEqual({ ErrorEquals: ['States.Timeout', ROLLOUT_ENDED_ERROR], ResultPath: null, Next: 'Advance' });
  });

  it('waits for ECS with a task token to the same function, a static timeout, and Advance after a timeout or an ended rollout', async () => {
    const { stack, states } = await workflow();
    const steady = states.AwaitSteady!;
    expect(steady.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(steady.Parameters.FunctionName).toBe(states.AwaitApproval!.Parameters.FunctionName);
    expect(steady.Parameters.FunctionName).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${logicalId(stack.orchestrator.functions.awaitApproval)}`);
    expect(steady.Parameters.Payload).toEqual({ 'rolloutId.$': '$.rolloutId', 'taskToken.$': '$$.Task.Token', wait: 'steady', 'directive.$': '$.directive' });
    expect(steady.TimeoutSeconds).toBe(600);
    expect(steady).not.toHaveProperty('TimeoutSecondsPath');
    // The answer, with the record it was decided on, goes to the next Advance beside the directive.
    expect(steady.ResultPath).toBe('$.directive.carried');
    expect(states.AwaitApproval!.ResultPath).toBe('$.directive.carried');
    expect(states.Advance!.Parameters).toMatchObject({ 'directive.$': '$.directive' });
    expect(steady.Next).toBe('Advance');
    expect(steady.Catch).toEqual([
      { ErrorEquals: ['States.Timeout', ROLLOUT_ENDED_ERROR], ResultPath: null, Next: 'Advance' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Recover' },
    ]);
  });

  it('lets its role invoke exactly the three step functions (both callback waits call AwaitApproval’s)', async () => {
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

  it('takes the steady wait timeout from the orchestrator props (default 10 minutes)', async () => {
    const { Duration } = await import('aws-cdk-lib');
    const { template } = synth(await configFrom(), { steadyWaitTimeout: Duration.minutes(25) });
    expect((aslOf(template) as { States: Record<string, State> }).States.AwaitSteady!.TimeoutSeconds).toBe(1500);
    const defaults = synth(await configFrom(), {});
    expect((aslOf(defaults.template) as { States: Record<string, State> }).States.AwaitSteady!.TimeoutSeconds).toBe(600);
  });
});
