import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'webhooks', 'aws');
export const awsFixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, any>;

/** An API Gateway HTTP API (payload 2.0) event, from the AWS docs sample, for one request. */
export function httpApiEvent(method: string, path: string, options: { headers?: Record<string, string>; body?: unknown; query?: string } = {}) {
  const base = awsFixture('apigw-http-api-v2-request-docs.json');
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const query = options.query ?? '';
  return {
    ...base,
    rawPath: path,
    rawQueryString: query,
    cookies: undefined,
    headers: Object.fromEntries(Object.entries({ host: 'id.execute-api.us-east-1.amazonaws.com', ...options.headers }).map(([k, v]) => [k.toLowerCase(), v])),
    queryStringParameters: query ? Object.fromEntries(new URLSearchParams(query)) : undefined,
    pathParameters: undefined,
    requestContext: { ...base['requestContext'], http: { ...base['requestContext'].http, method, path } },
    ...(body === undefined ? { body: undefined } : { body }),
    isBase64Encoded: false,
  };
}

/** The CloudWatch alarm state change sample, for another alarm name and state. */
export function alarmEvent(alarmName: string, state: 'ALARM' | 'OK' = 'ALARM') {
  const base = awsFixture('eventbridge-cloudwatch-alarm-state-change-single-metric.json');
  return { ...base, resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`], detail: { ...base['detail'], alarmName, state: { ...base['detail'].state, value: state } } };
}
