/** The deployable stack: the reusable construct, its outputs and nothing else. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { RolloutOrchestrator, type RolloutOrchestratorProps } from './rollout-orchestrator';

export type RolloutOrchestratorStackProps = StackProps &
  RolloutOrchestratorProps & {
    /** An existing SNS topic, by ARN, for the orchestrator's alarms (`-c alarmTopicArn=<arn>`); `alarmTopic` wins. */
    readonly alarmTopicArn?: string;
  };

export class RolloutOrchestratorStack extends Stack {
  readonly orchestrator: RolloutOrchestrator;

  constructor(scope: Construct, id: string, props: RolloutOrchestratorStackProps) {
    super(scope, id, props);
    const alarmTopic = props.alarmTopic ?? (props.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) : undefined);
    this.orchestrator = new RolloutOrchestrator(this, 'Orchestrator', { ...props, ...(alarmTopic ? { alarmTopic } : {}) });
    const { api, table, workflow, tokens } = this.orchestrator;
    new CfnOutput(this, 'ApiUrl', { value: api.url, description: 'Base URL of the webhooks and the API (point registry webhooks here)' });
    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'DynamoDB table of rollouts and their events' });
    new CfnOutput(this, 'StateMachineArn', { value: workflow.stateMachine.stateMachineArn, description: 'Step Functions state machine: one execution per rollout' });
    new CfnOutput(this, 'WebhookTokenSecretArn', { value: tokens.webhookToken.secretArn, description: 'Secrets Manager secret: ROLLOUT_WEBHOOK_TOKEN' });
    new CfnOutput(this, 'ApiTokenSecretArn', { value: tokens.apiToken.secretArn, description: 'Secrets Manager secret: ROLLOUT_API_TOKEN' });
  }
}
