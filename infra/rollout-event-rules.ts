/**
 * EventBridge rules for the two AWS event sources (docs/architecture.md): ECR pushes to the configured
 * repositories and CloudWatch alarms going to ALARM. A rule exists only when the config gives it
 * something to match. Deliveries that fail (the rule's retries, then the function's own async
 * retries) land in one encrypted dead-letter queue instead of vanishing.
 */
import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AppConfig } from '../shared/config/types';
import { alarmNames, ecrRepositories } from './config-arns';
import { acknowledgeRule } from './nag';

export interface RolloutEventRulesProps {
  readonly config: AppConfig;
  /** Target of `CloudWatch Alarm State Change` (functions/alarm-state-change.ts). */
  readonly alarmFunction: lambda.IFunction;
  /** Target of `ECR Image Action` (functions/ecr-push.ts). */
  readonly ecrPushFunction: lambda.IFunction;
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
  private routeFailures(fn: lambda.IFunction): void {
    fn.configureAsyncInvoke({ onFailure: new destinations.SqsDestination(this.deadLetterQueue), retryAttempts: 2 });
  }
}
