/**
 * What the CLI's exit status means, so that scripts can tell "the API said no" from "the rollout
 * failed" from "nothing answered". `watch` has one code per way a rollout can end badly.
 */
import { RolloutStatus } from '../shared/core/status';

export const ExitCode = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  Auth: 3,
  NotFound: 4,
  Conflict: 5,
  RolledBack: 6,
  Rejected: 7,
  Failed: 8,
  Timeout: 9,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = `Exit codes:
  0  success (watch: the rollout SUCCEEDED)
  1  error: API unreachable, server error, unexpected answer
  2  usage: bad arguments, or the API refused the input (400, 413, 415)
  3  authentication: missing or wrong token (401, 403)
  4  not found: no such rollout or service (404)
  5  conflict: the rollout's status does not allow the command (409)
  6  watch: the rollout ended ROLLED_BACK
  7  watch: the rollout ended REJECTED
  8  watch: the rollout ended FAILED
  9  watch: --timeout passed before the rollout ended`;

/** The exit code for an API problem's HTTP status. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return ExitCode.Auth;
  if (status === 404) return ExitCode.NotFound;
  if (status === 409) return ExitCode.Conflict;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return ExitCode.Usage;
  return ExitCode.Error;
}

/** The exit code `watch` ends with once the rollout is in `status` (a terminal one). */
export function exitCodeForOutcome(status: string): ExitCode {
  switch (status) {
    case RolloutStatus.Succeeded:
      return ExitCode.Ok;
    case RolloutStatus.RolledBack:
      return ExitCode.RolledBack;
    case RolloutStatus.Rejected:
      return ExitCode.Rejected;
    case RolloutStatus.Failed:
      return ExitCode.Failed;
    default:
      return ExitCode.Error;
  }
}
