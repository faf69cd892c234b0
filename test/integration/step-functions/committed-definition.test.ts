/**
 * Local mode runs the committed definition (local/step-functions-emulator/rollout-state-machine.asl.json)
 * instead of synthesizing at every start: it must be exactly what the CDK construct synthesizes today.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMITTED_ASL_PATH, formatAsl, synthesizeRolloutAsl } from '../../../local/step-functions-emulator/synthesize';

describe('the committed rollout state machine definition', () => {
  const committed = readFileSync(COMMITTED_ASL_PATH, 'utf8');
  const synthesized = formatAsl(synthesizeRolloutAsl());

  it('equals what infra/rollout-state-machine.ts synthesizes', () => {
    expect(committed === synthesized, 'local/step-functions-emulator/rollout-state-machine.asl.json is stale: run `npm run asl` and commit the result').toBe(true);
  });

  it('is valid ASL with placeholder Lambda ARNs named after the functions', async () => {
    const { default: aslValidator } = await import('asl-validator');
    const definition = JSON.parse(committed) as Record<string, any>;
    const { isValid, errorsText } = aslValidator(definition as never);
    expect(isValid, errorsText()).toBe(true);
    expect(definition['States']['Advance'].Resource).toBe('arn:aws:lambda:us-east-1:000000000000:function:Advance');
    expect(definition['States']['Recover'].Resource).toBe('arn:aws:lambda:us-east-1:000000000000:function:Recover');
    expect(definition['States']['AwaitApproval'].Parameters.FunctionName).toBe('arn:aws:lambda:us-east-1:000000000000:function:AwaitApproval');
  });

  it('is stable across synthesis runs', () => {
    expect(formatAsl(synthesizeRolloutAsl())).toBe(synthesized);
  });
});
