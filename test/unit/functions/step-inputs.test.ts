/**
 * The state machine's inputs to the step functions (functions/wiring/inputs.ts), checked by hand: what
 * each takes, and a ValidationError naming every field at fault for anything else.
 */
import { describe, expect, it } from 'vitest';
import { parseAdvanceInput, parseCallbackInput, parseRecoverInput } from '../../../functions/wiring/inputs';
import { ValidationError } from '../../../shared/errors';

const fault = (parse: () => unknown): string => {
  try {
    parse();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as Error).message;
  }
  throw new Error('parsed');
};

describe('the step functions’ inputs', () => {
  it('Advance: the rollout, its execution and turn (both absent in older executions)', () => {
    expect(parseAdvanceInput({ rolloutId: 'r1', execution: 'r1-2', turn: 3, directive: { turn: 3 } })).toEqual({ rolloutId: 'r1', call: { execution: 'r1-2', turn: 3 }, carried: null });
    expect(parseAdvanceInput({ rolloutId: 'r1' })).toEqual({ rolloutId: 'r1', call: {}, carried: null });
    expect(fault(() => parseAdvanceInput({ rolloutId: '', turn: -1, execution: 'x'.repeat(81) }))).toBe(
      'invalid Advance input: rolloutId: expected a string of 1 or more characters; execution: expected a string of 1 to 80 characters; turn: expected a whole number of at least 0',
    );
    expect(fault(() => parseAdvanceInput('r1'))).toBe('invalid Advance input: (body): expected an object; rolloutId: expected a string of 1 or more characters');
    expect(fault(() => parseAdvanceInput({ rolloutId: 'r1', turn: 1.5 }))).toContain('turn: expected a whole number');
  });

  it('a callback wait: the token, what it waits for, and the version and converge of its directive', () => {
    expect(parseCallbackInput({ rolloutId: 'r1', taskToken: 't', wait: 'steady', directive: { next: 'STEADY', version: 4, converge: true } })).toEqual({
      rolloutId: 'r1',
      taskToken: 't',
      wait: 'steady',
      version: 4,
      converge: true,
    });
    // Older executions: no wait (an approval), no directive; converge only when exactly true.
    expect(parseCallbackInput({ rolloutId: 'r1', taskToken: 't' })).toEqual({ rolloutId: 'r1', taskToken: 't', wait: 'approval', converge: false });
    expect(parseCallbackInput({ rolloutId: 'r1', taskToken: 't', directive: { converge: 'yes' } }).converge).toBe(false);
    expect(fault(() => parseCallbackInput({ rolloutId: 'r1', taskToken: '', wait: 'later', directive: { version: 0 } }))).toBe(
      'invalid callback wait input: taskToken: expected a string of 1 or more characters; wait: expected one of approval, steady; directive.version: expected a whole number of at least 1',
    );
    expect(fault(() => parseCallbackInput({ rolloutId: 'r1', taskToken: 't', directive: 'STEADY' }))).toBe('invalid callback wait input: directive: expected an object');
  });

  it('Recover: the failure as one line, Lambda’s JSON cause read for its message', () => {
    const cause = JSON.stringify({ errorMessage: 'ECS said no', errorType: 'EcsError' });
    expect(parseRecoverInput({ rolloutId: 'r1', execution: 'r1-1', turn: 2, error: { Error: 'EcsError', Cause: cause } })).toEqual({ rolloutId: 'r1', message: 'EcsError: ECS said no', call: { execution: 'r1-1', turn: 2 } });
    expect(parseRecoverInput({ rolloutId: 'r1', error: { Error: 'States.Timeout', Cause: 'not json' } }).message).toBe('States.Timeout: not json');
    expect(parseRecoverInput({ rolloutId: 'r1', error: null }).message).toBe('unknown failure');
    expect(fault(() => parseRecoverInput({ rolloutId: 'r1', error: 'boom' }))).toBe('invalid Recover input: error: expected an object');
  });
});
