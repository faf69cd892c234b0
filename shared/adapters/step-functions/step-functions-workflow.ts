import {
  ExecutionAlreadyExists,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import type { Rollout } from '../../core/rollout';
import { isTerminal } from '../../core/status';
import { WorkflowError } from '../../errors';
import type { Workflow } from '../../ports';

export interface StepFunctionsWorkflowOptions {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
}

/** The error name an ended rollout answers its approval wait with; the state machine catches it. */
export const ROLLOUT_ENDED_ERROR = 'RolloutEnded';

/**
 * Step Functions as the rollout's durable clock. One execution per rollout, named by the rollout id,
 * so a second start is harmless. Events end an approval wait through its task token.
 */
export class StepFunctionsWorkflow implements Workflow {
  constructor(private readonly options: StepFunctionsWorkflowOptions) {}

  async start(rolloutId: string): Promise<void> {
    try {
      await this.options.client.send(
        new StartExecutionCommand({ stateMachineArn: this.options.stateMachineArn, name: rolloutId, input: JSON.stringify({ rolloutId }) }),
      );
    } catch (e) {
      // Same name and same input: Step Functions reports it as existing; the execution is already ours.
      if (e instanceof ExecutionAlreadyExists) return;
      throw new WorkflowError(`StartExecution for rollout ${rolloutId} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  async wake(rollout: Rollout, taskToken: string | null): Promise<void> {
    // Without a token there is nothing to answer: a Wait state ends by itself and Advance sees the news.
    if (!taskToken) return;
    const ended = isTerminal(rollout.status) || rollout.status === 'ROLLING_BACK';
    try {
      if (ended) {
        await this.options.client.send(
          new SendTaskFailureCommand({ taskToken, error: ROLLOUT_ENDED_ERROR, cause: `rollout ${rollout.id} is ${rollout.status}` }),
        );
      } else {
        await this.options.client.send(
          new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ rolloutId: rollout.id, status: rollout.status }) }),
        );
      }
    } catch (e) {
      // The wait is already over (timed out, answered before, execution stopped): nothing left to wake.
      if (e instanceof TaskTimedOut || e instanceof InvalidToken || e instanceof TaskDoesNotExist) return;
      throw new WorkflowError(`answering the approval wait of rollout ${rollout.id} failed: ${(e as Error).message}`, { cause: e });
    }
  }
}
