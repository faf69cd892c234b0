import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { carry } from '../../core/carried-record';
import { type Rollout, clockName } from '../../core/rollout';
import { isTerminal } from '../../core/status';
import { ClockNameTakenError, WorkflowError } from '../../errors';
import type { ClockState, Workflow } from '../../ports';

export interface StepFunctionsWorkflowOptions {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
}

/** The error name an ended rollout answers its callback wait with; the state machine catches it. */
export const ROLLOUT_ENDED_ERROR = 'RolloutEnded';

/**
 * The input of a new execution: the rollout, and the loop's first turn (infra/rollout-state-machine.ts),
 * with the record its starter has just saved, when given: the first Advance decides from it without
 * reading the store (shared/core/carried-record.ts).
 */
export function executionInput(rolloutId: string, record?: Rollout): string {
  return JSON.stringify({ rolloutId, directive: { turn: 0, ...(record ? { carried: carry(record) } : {}) } });
}

/**
 * Step Functions as the rollout's durable clock: one execution at a time per rollout, named for the
 * record's clock attempt (`<rolloutId>-<attempt>`), so a name is never reused. Events end a callback
 * wait through its task token.
 */
export class StepFunctionsWorkflow implements Workflow {
  constructor(private readonly options: StepFunctionsWorkflowOptions) {}

  async start(rolloutId: string, attempt: number, record?: Rollout): Promise<void> {
    const name = clockName(rolloutId, attempt);
    try {
      await this.options.client.send(new StartExecutionCommand({ stateMachineArn: this.options.stateMachineArn, name, input: executionInput(rolloutId, record) }));
    } catch (e) {
      if (!(e instanceof ExecutionAlreadyExists)) throw new WorkflowError(`StartExecution ${name} failed: ${(e as Error).message}`, { cause: e });
      // Running with this name: ours already (a start whose answer was lost). Ended: the name is spent.
      if ((await this.clockState(rolloutId, attempt)) === 'RUNNING') return;
      throw new ClockNameTakenError(name, { cause: e });
    }
  }

  async clockState(rolloutId: string, attempt: number): Promise<ClockState> {
    const executionArn = `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${clockName(rolloutId, attempt)}`;
    try {
      const out = await this.options.client.send(new DescribeExecutionCommand({ executionArn }));
      return out.status === 'RUNNING' ? 'RUNNING' : 'ENDED';
    } catch (e) {
      if (e instanceof ExecutionDoesNotExist) return 'NONE';
      throw new WorkflowError(`DescribeExecution ${executionArn} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  async wake(rollout: Rollout, taskToken: string | null): Promise<void> {
    // Without a token there is nothing to answer: a Wait state ends by itself and Advance sees the news.
    if (!taskToken) return;
    const ended = isTerminal(rollout.status) || rollout.status === 'ROLLING_BACK';
    try {
      if (ended) {
        await this.options.client.send(new SendTaskFailureCommand({ taskToken, error: ROLLOUT_ENDED_ERROR, cause: `rollout ${rollout.id} is ${rollout.status}` }));
      } else {
        // The record the answer was decided on goes with it: the Advance that follows starts from it.
        await this.options.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(carry(rollout)) }));
      }
    } catch (e) {
      // The wait is already over (timed out, answered before, execution stopped): nothing left to wake.
      if (e instanceof TaskTimedOut || e instanceof InvalidToken || e instanceof TaskDoesNotExist) return;
      throw new WorkflowError(`answering the callback wait of rollout ${rollout.id} failed: ${(e as Error).message}`, { cause: e });
    }
  }
}
