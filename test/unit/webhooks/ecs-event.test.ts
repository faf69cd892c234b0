/** ECS service action events: the published samples, and the variants they do not show. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors';
import { parseEcsServiceAction, type EcsServiceAction } from '../../../shared/webhooks/ecs-event';

const AWS = join(__dirname, '../../fixtures/webhooks/aws');
const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(AWS, file), 'utf8')) as Record<string, unknown>;

const event = (body: unknown): EcsServiceAction => {
  const parsed = parseEcsServiceAction(body);
  if (!('event' in parsed)) throw new Error(`ignored: ${parsed.ignored}`);
  return parsed.event;
};
const ignored = (body: unknown): string => {
  const parsed = parseEcsServiceAction(body);
  if (!('ignored' in parsed)) throw new Error(`not ignored: ${JSON.stringify(parsed.event)}`);
  return parsed.ignored;
};

const SERVICE_ARN = 'arn:aws:ecs:us-west-2:111122223333:service/default/servicetest';
const CLUSTER_ARN = 'arn:aws:ecs:us-west-2:111122223333:cluster/default';
const TASK_SET_ARN = 'arn:aws:ecs:us-west-2:111122223333:task-set/default/servicetest/ecs-svc/1234567890123456789';

const steady = sample('eventbridge-ecs-service-action-steady-state.json');
const withDetail = (detail: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...steady,
  ...extra,
  detail: { ...(steady.detail as Record<string, unknown>), ...detail },
});

describe('parseEcsServiceAction on the published samples', () => {
  it.each([
    ['eventbridge-ecs-service-action-steady-state.json', 'SERVICE_STEADY_STATE', 'INFO', null],
    ['eventbridge-ecs-service-action-task-start-impaired.json', 'SERVICE_TASK_START_IMPAIRED', 'WARN', null],
    ['eventbridge-ecs-service-action-task-placement-failure.json', 'SERVICE_TASK_PLACEMENT_FAILURE', 'ERROR', 'RESOURCE:FARGATE'],
  ])('%s', (file, eventName, eventType, reason) => {
    const body = sample(file);
    expect(event(body)).toEqual({
      eventName,
      eventType,
      region: 'us-west-2',
      account: '111122223333',
      cluster: 'default',
      clusterArn: CLUSTER_ARN,
      service: 'servicetest',
      serviceArn: SERVICE_ARN,
      taskSet: null,
      id: body.id,
      time: body.time,
      createdAt: (body.detail as { createdAt: string }).createdAt,
      reason,
    });
  });

  it.each([
    'eventbridge-ecs-deployment-completed.json',
    'eventbridge-ecs-deployment-failed.json',
    'eventbridge-ecs-deployment-in-progress.json',
    'eventbridge-ecs-deployment-rollback-in-progress.json',
  ])('ignores %s (another detail-type)', (file) => {
    expect(ignored(sample(file))).toBe('detail-type "ECS Deployment State Change" is not "ECS Service Action"');
  });

  it('ignores events of other sources', () => {
    expect(ignored(sample('eventbridge-cloudwatch-alarm-state-change-single-metric.json'))).toBe('source "aws.cloudwatch" is not aws.ecs');
    expect(ignored(sample('eventbridge-ecr-image-action-push-docs.json'))).toBe('source "aws.ecr" is not aws.ecs');
  });
});

describe('parseEcsServiceAction on variants', () => {
  it('reads a TASKSET_STEADY_STATE with the task set ARN among the resources', () => {
    const body = withDetail({ eventName: 'TASKSET_STEADY_STATE' }, { resources: [SERVICE_ARN, TASK_SET_ARN] });
    expect(event(body)).toMatchObject({
      eventName: 'TASKSET_STEADY_STATE',
      cluster: 'default',
      service: 'servicetest',
      taskSet: { arn: TASK_SET_ARN, id: 'ecs-svc/1234567890123456789' },
    });
  });

  it('reads the service from a task set ARN alone', () => {
    const body = withDetail({ eventName: 'TASKSET_STEADY_STATE' }, { resources: [TASK_SET_ARN] });
    expect(event(body)).toMatchObject({ cluster: 'default', service: 'servicetest', serviceArn: SERVICE_ARN });
  });

  it('reads an old-format service ARN, taking the cluster from detail.clusterArn', () => {
    const body = withDetail({ clusterArn: 'arn:aws:ecs:us-west-2:111122223333:cluster/prod' }, {
      resources: ['arn:aws:ecs:us-west-2:111122223333:service/servicetest'],
    });
    expect(event(body)).toMatchObject({
      cluster: 'prod',
      clusterArn: 'arn:aws:ecs:us-west-2:111122223333:cluster/prod',
      service: 'servicetest',
      serviceArn: 'arn:aws:ecs:us-west-2:111122223333:service/servicetest',
    });
  });

  it('takes the cluster from a new-format service ARN when detail.clusterArn is missing', () => {
    const { clusterArn: _dropped, ...detail } = steady.detail as Record<string, unknown>;
    expect(event({ ...steady, detail })).toMatchObject({ cluster: 'default', clusterArn: CLUSTER_ARN });
  });

  it('keeps going without optional fields (eventType, createdAt, id, time) and with unknown ones', () => {
    const { id: _id, time: _time, version: _version, ...envelope } = steady;
    const body = { ...envelope, detail: { eventName: 'SOMETHING_NEW', clusterArn: CLUSTER_ARN, extra: { a: 1 } } };
    expect(event(body)).toMatchObject({ eventName: 'SOMETHING_NEW', eventType: null, id: null, time: null, createdAt: null });
  });

  it('reads other partitions', () => {
    const arn = (resource: string) => `arn:aws-cn:ecs:cn-north-1:111122223333:${resource}`;
    const body = { ...withDetail({ clusterArn: arn('cluster/c') }), region: 'cn-north-1', resources: [arn('service/c/s')] };
    expect(event(body)).toMatchObject({ cluster: 'c', service: 's', region: 'cn-north-1' });
  });

  it.each([
    ['no eventName', withDetail({ eventName: undefined }), /^detail\.eventName: /],
    ['no resources', { ...steady, resources: [] }, /^resources: no ECS service ARN among \[\]/],
    ['a resource that is not an ARN', { ...steady, resources: ['servicetest'] }, /^resources: no ECS service ARN/],
    ['an old-format ARN and no clusterArn', { ...withDetail({ clusterArn: undefined }), resources: ['arn:aws:ecs:us-west-2:111122223333:service/servicetest'] }, /^no cluster: /],
    ['a clusterArn of another kind', withDetail({ clusterArn: SERVICE_ARN }), /^detail\.clusterArn: .* is not an ECS cluster ARN/],
    ['a service ARN with too many parts', { ...steady, resources: ['arn:aws:ecs:us-west-2:111122223333:service/a/b/c'] }, /is not a service ARN/],
    ['two services', { ...steady, resources: [SERVICE_ARN, 'arn:aws:ecs:us-west-2:111122223333:service/default/other'] }, /^resources name 2 service ARNs/],
    ['clusters that disagree', withDetail({ clusterArn: 'arn:aws:ecs:us-west-2:111122223333:cluster/other' }), /name different clusters/],
    ['a task set of another service', { ...steady, resources: [SERVICE_ARN, TASK_SET_ARN.replace('/servicetest/', '/other/')] }, /is not in service/],
    ['a task set ARN without an id', { ...steady, resources: ['arn:aws:ecs:us-west-2:111122223333:task-set/default/servicetest'] }, /is not a task set ARN/],
    ['a service in another region', { ...steady, resources: [SERVICE_ARN.replace('us-west-2', 'eu-west-1')] }, /is not in us-west-2\/111122223333/],
    ['a cluster in another account', withDetail({ clusterArn: CLUSTER_ARN.replace('111122223333', '444455556666') }), /is not in us-west-2\/111122223333/],
    ['a malformed account', { ...steady, account: '1234' }, /^account: "1234" is not a 12-digit/],
  ])('ignores an event with %s', (_what, body, reason) => {
    expect(ignored(body)).toMatch(reason);
  });

  it.each([
    ['null', null],
    ['a string', 'SERVICE_STEADY_STATE'],
    ['an object without an envelope', { eventName: 'SERVICE_STEADY_STATE' }],
    ['an envelope without detail', { ...steady, detail: undefined }],
    ['resources that are not a list', { ...steady, resources: 'arn:aws:ecs:…' }],
  ])('throws a ValidationError for %s, which is not an EventBridge event', (_what, body) => {
    expect(() => parseEcsServiceAction(body)).toThrow(ValidationError);
    expect(() => parseEcsServiceAction(body)).toThrow(/^invalid EventBridge event: /);
  });
});
