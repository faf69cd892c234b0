import { describe, expect, it } from 'vitest';
import { alarmNames, ecrRegistryOf, ecrRepositories, ecsServiceArns, passRoleArns } from '../../infra/config-arns';
import { configFrom, ECR_HOST } from './infra-fixtures';

const ENV = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };

describe('the ECS ARNs of a service', () => {
  it.each([
    ['names', { cluster: 'prod', service: 'web' }, 'arn:aws:ecs:eu-west-1:123456789012', 'prod/web'],
    ['a cluster ARN', { cluster: 'arn:aws:ecs:us-east-2:210987654321:cluster/prod', service: 'web' }, 'arn:aws:ecs:us-east-2:210987654321', 'prod/web'],
    ['a service ARN', { cluster: 'prod', service: 'arn:aws:ecs:us-east-2:210987654321:service/prod/web' }, 'arn:aws:ecs:us-east-2:210987654321', 'prod/web'],
    ['an old-format service ARN', { cluster: 'prod', service: 'arn:aws:ecs:us-east-2:210987654321:service/web' }, 'arn:aws:ecs:us-east-2:210987654321', 'prod/web'],
    ['a China ARN', { cluster: 'arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod', service: 'web' }, 'arn:aws-cn:ecs:cn-north-1:123456789012', 'prod/web'],
  ])('are built from %s', (_, service, prefix, path) => {
    expect(ecsServiceArns(service, ENV)).toEqual({ service: `${prefix}:service/${path}`, taskSets: `${prefix}:task-set/${path}/*` });
  });
});

describe('the ECR repositories', () => {
  it('are the ECR images of the services, with the account and region of their host', async () => {
    expect(ecrRepositories(await configFrom(), ENV)).toEqual([
      { account: '123456789012', region: 'eu-west-1', name: 'team/web', arn: 'arn:aws:ecr:eu-west-1:123456789012:repository/team/web' },
    ]);
  });

  it('read the account and region from ECR hosts only', () => {
    expect(ecrRegistryOf(ECR_HOST)).toEqual({ account: '123456789012', region: 'eu-west-1', china: false });
    expect(ecrRegistryOf('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')).toEqual({ account: '123456789012', region: 'cn-north-1', china: true });
    expect(ecrRegistryOf('127.0.0.1:5000')).toBeNull();
  });
});

describe('the roles and alarms of the config', () => {
  it('are listed once each', async () => {
    const config = await configFrom();
    expect(passRoleArns(config)).toEqual(['arn:aws:iam::123456789012:role/web-task', 'arn:aws:iam::123456789012:role/service-role/web-execution']);
    expect(alarmNames(config)).toEqual(['web-5xx', 'web-latency', 'worker-errors']);
  });
});
