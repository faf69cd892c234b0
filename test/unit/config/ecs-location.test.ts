import { describe, expect, it } from 'vitest';
import { arnLocation, outsideHome } from '../../../shared/config/ecs-location';

const HOME = { region: 'eu-west-1', account: '123456789012' };
const web = (cluster: string, service = 'web') => ({ name: 'web', cluster, service });

describe('where an ECS service lives', () => {
  it('reads the partition, region and account of an ARN, and nothing from a name', () => {
    expect(arnLocation('arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod')).toEqual({ partition: 'aws-cn', region: 'cn-north-1', account: '123456789012' });
    expect(arnLocation('prod')).toBeNull();
  });

  it('accepts names and ARNs of the orchestrator region and account', () => {
    expect(outsideHome(web('prod'), HOME)).toBeNull();
    expect(outsideHome(web('arn:aws:ecs:eu-west-1:123456789012:cluster/prod'), HOME)).toBeNull();
  });

  it('refuses a cluster of another region, naming the field and the fix', () => {
    expect(outsideHome(web('arn:aws:ecs:us-east-2:123456789012:cluster/prod'), HOME)).toBe(
      'services.web.cluster arn:aws:ecs:us-east-2:123456789012:cluster/prod is in region us-east-2, but the orchestrator runs in region eu-west-1, account 123456789012: ' +
        'its ECS calls and ECS events do not reach there. Deploy an orchestrator in that region for this service, or name a cluster of region eu-west-1, account 123456789012',
    );
  });

  it('refuses a service ARN of another account, and compares regions only when the account is unknown', () => {
    const other = web('prod', 'arn:aws:ecs:eu-west-1:210987654321:service/prod/web');
    expect(outsideHome(other, HOME)).toMatch(/^services\.web\.service .* is in account 210987654321, but .*Deploy an orchestrator in that account/);
    expect(outsideHome(other, { region: 'eu-west-1', account: null })).toBeNull();
  });
});
