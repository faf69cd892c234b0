import { describe, expect, it } from 'vitest';
import { formatIssue, formatPath } from '../../../shared/config/issues';

describe('formatPath', () => {
  it.each([
    [['services', 'web', 'steps', 2, 'setWeight'], 'services.web.steps[2].setWeight'],
    [['registries', '127.0.0.1:5000', 'insecure'], 'registries["127.0.0.1:5000"].insecure'],
    [['services', 'my-api', 'verify', 'keys', 0], 'services.my-api.verify.keys[0]'],
    [['services', 'has space'], 'services["has space"]'],
    [['services', 'say"hi"'], 'services["say\\"hi\\""]'],
    [['services', ''], 'services[""]'],
    [['127.0.0.1:5000'], '["127.0.0.1:5000"]'],
    [[0, 'a'], '[0].a'],
    [[], ''],
  ])('writes %j as %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('formatIssue', () => {
  it('prefixes the message with the path', () => {
    expect(formatIssue({ path: ['services', 'web', 'cluster'], message: 'is required' })).toBe('services.web.cluster: is required');
  });

  it('prints a problem with the whole file without a path', () => {
    expect(formatIssue({ path: [], message: "unknown key 'servics'" })).toBe("unknown key 'servics'");
  });
});
