/**
 * Builds the rollout state machine construct in a throwaway stack and resolves it to plain ASL, with
 * placeholder Lambda ARNs named after the functions (`arn:aws:lambda:us-east-1:000000000000:function:Advance`, …).
 * Used by `npm run asl` (scripts/generate-asl.ts) and by the test that checks the committed file; local
 * mode itself never imports this (synthesizing costs seconds and hundreds of MB).
 */
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RolloutStateMachine } from '../../infra/rollout-state-machine';
import { aslOf, placeholderFunctionArn } from './asl';

/** Where the generated definition is committed. */
export const COMMITTED_ASL_PATH = fileURLToPath(new URL('./rollout-state-machine.asl.json', import.meta.url));

export function synthesizeRolloutAsl(): Record<string, unknown> {
  // CDK's CloudFormation validation would add seconds and check only this throwaway stack; the whole
  // stack's template is validated by test/infra/rollout-orchestrator.test.ts.
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Asl');
  const fn = (id: string) => lambda.Function.fromFunctionArn(stack, id, placeholderFunctionArn(id));
  new RolloutStateMachine(stack, 'Rollout', { advanceFunction: fn('Advance'), awaitApprovalFunction: fn('AwaitApproval'), recoverFunction: fn('Recover') });
  return aslOf(Template.fromStack(stack));
}

/** The file's exact text: two-space JSON and a final newline, so that a regeneration diff is readable. */
export const formatAsl = (asl: Record<string, unknown>): string => `${JSON.stringify(asl, null, 2)}\n`;
