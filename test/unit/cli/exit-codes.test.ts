import { describe, expect, it } from 'vitest';
import { ExitCode, exitCodeForOutcome, exitCodeForStatus } from '../../../cli/exit-codes';

describe('exit codes', () => {
  it.each([
    [400, ExitCode.Usage],
    [413, ExitCode.Usage],
    [415, ExitCode.Usage],
    [401, ExitCode.Auth],
    [403, ExitCode.Auth],
    [404, ExitCode.NotFound],
    [409, ExitCode.Conflict],
    [429, ExitCode.Error],
    [500, ExitCode.Error],
    [502, ExitCode.Error],
  ])('HTTP %i exits %i', (status, code) => expect(exitCodeForStatus(status)).toBe(code));

  it.each([
    ['SUCCEEDED', 0],
    ['ROLLED_BACK', 6],
    ['REJECTED', 7],
    ['FAILED', 8],
  ])('a rollout that ends %s makes watch exit %i', (status, code) => expect(exitCodeForOutcome(status)).toBe(code));
});
