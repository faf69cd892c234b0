/**
 * One API Gateway HTTP API in front of the Hono app: every route (`$default`) goes to the API function
 * as a payload 2.0 proxy event, which `hono/aws-lambda` turns into a Request. Routing and auth stay in
 * the app, where local mode runs them too; the gateway adds access logs and a rate limit.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeRule } from './nag';

export interface WebhookApiProps {
  /** The function serving every route (functions/api.ts `handler`). */
  readonly handler: lambda.IFunction;
  /**
   * Steady-state requests per second over the whole API.
   * @default 50
   */
  readonly rateLimit?: number;
  /**
   * Requests allowed in a burst.
   * @default 100
   */
  readonly burstLimit?: number;
  /**
   * How long access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** One JSON line per request. No headers: the Authorization header carries the tokens. */
const ACCESS_LOG = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    time: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    method: '$context.httpMethod',
    path: '$context.path',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

export class WebhookApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /** `https://<id>.execute-api.<region>.amazonaws.com/`: the base of every route. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Rollout orchestrator: registry webhooks and the rollout API',
      defaultIntegration: new HttpLambdaIntegration('Api', props.handler, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
      // The default stage cannot take access log settings; the one below replaces it.
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 50, burstLimit: props.burstLimit ?? 100 },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG },
    });
    this.url = this.stage.url;

    acknowledgeRule(
      this.httpApi,
      'AwsSolutions-APIG4',
      'Webhook and API auth is done by bearer tokens or HMAC-SHA256 over the raw body in the app (docs/api.md), compared ' +
        'in constant time; /healthz and /openapi.json are public by contract.',
    );
  }
}
