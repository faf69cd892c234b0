import { describe, expect, it } from 'vitest';
import { configWith, load, problems } from './config-fixtures';

const TASK_ROLE = 'arn:aws:iam::123456789012:role/web-task';
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/service-role/ecsTaskExecutionRole';

describe("a service's aws section", () => {
  it('is absent from the loaded service when the file has none', async () => {
    expect((await load(configWith())).services.web).not.toHaveProperty('aws');
  });

  it('reads the roles the stack may pass to ECS, paths and other partitions included', async () => {
    const china = 'arn:aws-cn:iam::123456789012:role/web-task';
    const web = (await load(configWith({ aws: { passRoles: [TASK_ROLE, EXECUTION_ROLE, china] } }))).services.web;
    expect(web?.aws).toEqual({ passRoles: [TASK_ROLE, EXECUTION_ROLE, china] });
  });

  it('treats an empty section or an empty passRoles as no roles', async () => {
    expect((await load(configWith({ aws: {} }))).services.web?.aws).toEqual({ passRoles: [] });
    expect((await load(configWith({ aws: { passRoles: null } }))).services.web?.aws).toEqual({ passRoles: [] });
  });

  it.each([
    [{ passRoles: ['web-task'] }, 'services.web.aws.passRoles[0]: must be an IAM role ARN, like arn:aws:iam::123456789012:role/web-task'],
    [{ passRoles: ['arn:aws:iam::123456789012:user/ci'] }, 'services.web.aws.passRoles[0]: must be an IAM role ARN'],
    [{ passRoles: ['arn:aws:iam::1234:role/web-task'] }, 'services.web.aws.passRoles[0]: must be an IAM role ARN'],
    [{ passRoles: ['arn:aws:iam::123456789012:role/*'] }, 'services.web.aws.passRoles[0]: must be an IAM role ARN'],
    [{ passRoles: [''] }, 'services.web.aws.passRoles[0]: must not be empty'],
    [{ passRoles: TASK_ROLE }, 'services.web.aws.passRoles: must be a list, not a string'],
    [{ passRoles: [TASK_ROLE, TASK_ROLE] }, `services.web.aws.passRoles[1]: repeats role ${TASK_ROLE}`],
    [{ passRole: [TASK_ROLE] }, "services.web.aws: unknown key 'passRole' (did you mean 'passRoles'?)"],
  ])('refuses %j', async (aws, problem) => {
    const found = await problems(configWith({ aws }));
    expect(found).toHaveLength(1);
    expect(found[0]?.startsWith(problem), found[0]).toBe(true);
  });
});
