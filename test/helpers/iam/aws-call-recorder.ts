/**
 * Records every AWS SDK call made while a function's handler runs, at the SDK level: one wrapper of
 * `send` on the base class every `@aws-sdk/client-*` client shares, so each client any function builds
 * (its ports, the API's Secrets Manager client, the verifier's ECR client) is recorded without a change
 * to the code under test. Which function made a call is carried by AsyncLocalStorage: the harness runs
 * each handler invocation inside `recorder.as(name, ...)`, and calls made outside of one (the test's own
 * look at a stand-in) are not recorded.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ECSClient } from '@aws-sdk/client-ecs';

export interface AwsCall {
  /** The function whose role makes the call (`advance`, `api`, ... or `stateMachine`). */
  readonly fn: string;
  /** The client's service id (`ECS`, `DynamoDB`, `SFN`, `ECR`, `CloudWatch`, `Secrets Manager`, `Lambda`). */
  readonly service: string;
  /** The API operation (`DescribeServices`). */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** What the service answered (absent when the call failed). */
  readonly output?: Readonly<Record<string, unknown>>;
  readonly region: string;
}

interface SdkClient {
  readonly config: { readonly serviceId?: string; readonly region?: string | (() => Promise<string>) };
}
interface SdkCommand {
  readonly input: Record<string, unknown>;
  readonly constructor: { readonly name: string };
}
type Send = (this: SdkClient, command: SdkCommand, ...rest: unknown[]) => Promise<unknown>;

/** The smithy `Client` every generated client extends: `send` lives on its prototype. */
const sdkClientBase = Object.getPrototypeOf(ECSClient.prototype) as { send: Send };

export class AwsCallRecorder {
  readonly calls: AwsCall[] = [];
  private readonly caller = new AsyncLocalStorage<string>();

  /** Starts recording; the returned function puts `send` back. */
  install(): () => void {
    const original = sdkClientBase.send;
    const { caller, calls } = this;
    sdkClientBase.send = async function (this: SdkClient, command: SdkCommand, ...rest: unknown[]) {
      const fn = caller.getStore();
      if (fn === undefined) return original.call(this, command, ...rest);
      const region = typeof this.config.region === 'function' ? await this.config.region() : (this.config.region ?? '');
      const call = { fn, service: this.config.serviceId ?? '?', operation: command.constructor.name.replace(/Command$/, ''), input: command.input, region };
      try {
        const output = (await original.call(this, command, ...rest)) as Record<string, unknown>;
        calls.push({ ...call, output });
        return output;
      } catch (error) {
        calls.push(call);
        throw error;
      }
    };
    return () => {
      sdkClientBase.send = original;
    };
  }

  /** Runs `work` as the function `fn`: every SDK call it makes, now or later, is that function's. */
  as<T>(fn: string, work: () => T): T {
    return this.caller.run(fn, work);
  }

  /** A call made outside the SDK but authorized all the same (the state machine invoking a function). */
  record(call: AwsCall): void {
    this.calls.push(call);
  }
}
