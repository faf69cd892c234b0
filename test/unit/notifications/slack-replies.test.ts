import { describe, expect, it } from 'vitest';
import { rolloutState } from '../../../shared/notifications/slack-replies';
import { states } from '../core/rollout-builders';

const S = states();

describe("an approval request's state, for a blue-green rollout", () => {
  it('asks for the preview approval, then says production switched and an abort switches back', () => {
    expect(rolloutState(S.bgPaused!, 1)).toMatch(/^Waits at step 2\/2 \(preview\)/);
    expect(rolloutState(S.bgSwitched!, 1)).toBe(
      `Switched: production runs ${S.bgSwitched!.image.digest}; the old task set is kept for scaleDownDelay, and an abort switches back. Approved so far by ann.`,
    );
  });
});
