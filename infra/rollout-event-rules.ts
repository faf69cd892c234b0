/**
 * EventBridge rules (docs/architecture.md): ECR pushes to the configured repositories, CloudWatch
 * alarms going to ALARM, ECS steady-state events of the configured services, the ends of the rollout
 * state machine's executions, and the watchdog's schedule. A config-driven rule exists only when the
 * config gives it something to match. Deliveries that fail (the rule's retries, then the function's
 * own async retries) land in one encrypted dead-letter queue instead of vanishing.
 */
import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AppConfig } from '../shared/config/types';
import { RolloutPolicy } from '../shared/core/policy';
import { ECS_STEADY_STATE_EVENT_NAMES } from '../shared/webhooks/ecs-event';
import { alarmNames, ecrRepositories, ecsServiceArns } from './config-arns';
import { acknowledgeRule } from './nag';

export interface RolloutEventRulesProps {
  readonly config: AppConfig;
  /** Target of `CloudWatch Alarm State Change` (functions/alarm-state-change.ts). */
  readonly alarmFunction: lambda.IFunction;
  /** Target of `ECR Image Action` (functions/ecr-push.ts). */
  readonly ecrPushFunction: lambda.IFunction;
  /** Target of `ECS Service Action` steady-state events (functions/ecs-event.ts). */
  readonly ecsEventFunction: lambda.IFunction;
  /** Target of the schedule and of the rollout state machine's execution status changes (functions/watchdog.ts). */
  readonly watchdogFunction: lambda.IFunction;
  /** The rollout state machine: the ends of its executions wake the watchdog. */
  readonly stateMachineArn: string;
  /**
   * How long EventBridge keeps retrying a delivery.
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;
}

export class RolloutEventRules extends Construct {
  /** Undelivered or failed events, kept 14 days for a human to look at. */
  readonly deadLetterQueue: sqs.Queue;
  /** Undefined when no service pulls from an ECR repository of the stack's account and region. */
  readonly ecrPushRule?: events.Rule;
  /** Undefined when no service lists an alarm. */
  readonly alarmRule?: events.Rule;
  /** ECS steady-state events of the configured services → ecsEvent. */
  readonly ecsSteadyRule: events.Rule;
  /** An execution of the rollout state machine ended → watchdog. */
  readonly executionEndedRule: events.Rule;
  /** Every `RolloutPolicy.watchdogIntervalSeconds` → watchdog. */
  readonly watchdogSchedule: events.Rule;

  constructor(scope: Construct, id: string, props: RolloutEventRulesProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeRule(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the event rules and their functions.');
    const target = (fn: lambda.IFunction) =>
      new targets.LambdaFunction(fn, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8, maxEventAge: props.maxEventAge ?? Duration.hours(2) });

    const repositories = this.pushedRepositories(props.config);
    if (repositories.length > 0) {
      this.ecrPushRule = new events.Rule(this, 'EcrPush', {
        description: 'ECR pushes to the repositories of the configured services start rollouts',
        eventPattern: {
          source: ['aws.ecr'],
          detailType: ['ECR Image Action'],
          detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': repositories },
        },
        targets: [target(props.ecrPushFunction)],
      });
      this.routeFailures(props.ecrPushFunction);
    }

    const alarms = alarmNames(props.config);
    if (alarms.length > 0) {
      this.alarmRule = new events.Rule(this, 'AlarmStateChange', {
        description: 'A configured CloudWatch alarm in ALARM rolls back the rollouts watching it',
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: { alarmName: alarms, state: { value: ['ALARM'] } },
        },
        targets: [target(props.alarmFunction)],
      });
      this.routeFailures(props.alarmFunction);
    }

    // Only the names after which ECS may be steady, and only the configured services: the function
    // looks at ECS itself either way (an event is a nudge), so nothing else is worth an invocation.
    this.ecsSteadyRule = new events.Rule(this, 'EcsSteadyState', {
      description: 'ECS steady-state events of the configured services answer the steady waits of their rollouts',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Service Action'],
        detail: { eventName: [...ECS_STEADY_STATE_EVENT_NAMES] },
        resources: this.ecsResources(props.config),
      },
      targets: [target(props.ecsEventFunction)],
    });
    this.routeFailures(props.ecsEventFunction);

    // SUCCEEDED too: an execution also ends when it hands over to a fresh one or finds a newer clock,
    // and the watchdog only re-drives a rollout whose current clock it was and that is still active.
    this.executionEndedRule = new events.Rule(this, 'ExecutionEnded', {
      description: 'An execution of the rollout state machine ended: the watchdog re-drives its rollout if still active',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [props.stateMachineArn], status: ['FAILED', 'TIMED_OUT', 'ABORTED', 'SUCCEEDED'] },
      },
      targets: [target(props.watchdogFunction)],
    });

    // A tick that cannot be delivered within the interval is dropped: the next one does the same work,
    // and late ticks must not pile up into overlapping sweeps (see rollout-functions.ts).
    const interval = Duration.seconds(RolloutPolicy.watchdogIntervalSeconds);
    this.watchdogSchedule = new events.Rule(this, 'WatchdogSchedule', {
      description: 'The watchdog looks after every active rollout: clocks that stopped, waits whose deadline passed',
      schedule: events.Schedule.rate(interval),
      targets: [new targets.LambdaFunction(props.watchdogFunction, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 2, maxEventAge: interval })],
    });
    // Not retried by Lambda either: the next tick (at most one interval away) does what a retry would,
    // also for a lost execution-ended event. A failure still lands in the queue.
    this.routeFailures(props.watchdogFunction, 0);
  }

  /**
   * The resources of an ECS service action event name the service (new or old ARN format) or one of
   * its task sets: every configured service is matched by all three, exactly or by its task sets'
   * prefix. ARNs name the account and region, so services elsewhere are matched too, for when their
   * events are forwarded to this bus; without that their steady waits end by AwaitSteady's timeout.
   */
  private ecsResources(config: AppConfig): string[] {
    const stack = Stack.of(this);
    const env = { partition: stack.partition, region: stack.region, account: stack.account };
    const services = Object.values(config.services).map((s) => ecsServiceArns(s, env));
    const matchers = services.flatMap(({ service, taskSets }) => {
      const [prefix = '', path = ''] = service.split(':service/');
      const name = path.slice(path.indexOf('/') + 1);
      return [service, `${prefix}:service/${name}`, ...events.Match.prefix(taskSets.slice(0, -1))];
    });
    if (!Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region)) {
      const here = `:ecs:${stack.region}:${stack.account}:`;
      const elsewhere = services.filter((s) => !s.service.includes(here)).map((s) => s.service);
      if (elsewhere.length > 0) {
        Annotations.of(this).addWarningV2(
          'rollout:ecsElsewhere',
          `ECS services outside ${stack.account}/${stack.region} (${elsewhere.join(', ')}) send their service action events to their own ` +
            'account\u2019s default bus: forward them to this one, or their steady waits end only by the AwaitSteady timeout',
        );
      }
    }
    return matchers;
  }

  /**
   * ECR sends push events to the default bus of the repository's own account and region, so only
   * those repositories can be matched here; pushes elsewhere must come in through the webhook route.
   */
  private pushedRepositories(config: AppConfig): string[] {
    const stack = Stack.of(this);
    const all = ecrRepositories(config, { partition: stack.partition, region: stack.region, account: stack.account });
    if (all.length === 0) return [];
    if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
      Annotations.of(this).addInfoV2(
        'rollout:ecrRuleEnvAgnostic',
        'the stack has no fixed account and region, so the ECR push rule matches every configured ECR repository by name; ' +
          'set env (CDK_DEFAULT_ACCOUNT/REGION) to match only those of the stack\u2019s account and region',
      );
      return [...new Set(all.map((r) => r.name))];
    }
    const local = all.filter((r) => r.account === stack.account && r.region === stack.region);
    const elsewhere = all.filter((r) => !local.includes(r));
    if (elsewhere.length > 0) {
      Annotations.of(this).addWarningV2(
        'rollout:ecrElsewhere',
        `ECR repositories outside ${stack.account}/${stack.region} (${elsewhere.map((r) => `${r.account}/${r.region}/${r.name}`).join(', ')}) ` +
          'send no push events to this stack: forward them to this account\u2019s default bus, or use the webhook route',
      );
    }
    return [...new Set(local.map((r) => r.name))];
  }

  /** The function's own async retries (EventBridge invokes asynchronously) end in the same queue. */
  private routeFailures(fn: lambda.IFunction, retryAttempts = 2): void {
    fn.configureAsyncInvoke({ onFailure: new destinations.SqsDestination(this.deadLetterQueue), retryAttempts });
  }
}
