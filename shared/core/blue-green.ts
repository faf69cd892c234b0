/**
 * Blue-green (docs/configuration.md#bluegreen), as in Argo Rollouts' blue-green strategy, on top of
 * `traffic.alb`: the new task set runs at full size in the other target group of the pair, behind a
 * preview listener rule, while production stays 100% on the old set; after approval (or at once with
 * `autoPromote`), production switches to the new set in one call, and the old set stays at full size for
 * `scaleDownDelay` (the rollout is PROMOTING: an alarm or an abort switches back at once). Pure.
 *
 * A blue-green rollout runs the same loop as a canary, with steps of its own: `setWeight: 0` (the new
 * set at full size, steady behind the preview rule, no production traffic), then the approval pause
 * named `preview` (absent with `autoPromote`), then the promotion.
 */
import type { StepSpec } from './steps';
import type { TaskSetScales } from './traffic-split';

/** What a blue-green rollout keeps on its record (the service's `blueGreen` as it was when the rollout was created). */
export interface BlueGreenSpec {
  /** The test listener's rule that forwards 100% to the new task set's target group. */
  readonly previewListenerRule: string;
  /** True: promote once the new set is steady; false: wait for approval. */
  readonly autoPromote: boolean;
  /** Seconds the old task set stays at full size after production switched to the new one. */
  readonly scaleDownDelaySeconds: number;
}

/** The name of the approval pause before the switch. */
export const PREVIEW_PAUSE = 'preview';

/** The steps a blue-green rollout runs: the preview at full size, then (unless autoPromote) its approval. */
export const blueGreenSteps = (spec: Pick<BlueGreenSpec, 'autoPromote'>): StepSpec[] => [
  { setWeight: 0 },
  ...(spec.autoPromote ? [] : [{ pause: { name: PREVIEW_PAUSE } }]),
];

/** Both task sets at full size, whatever the production weight: the switch moves traffic, never tasks. */
export const BLUE_GREEN_SCALES: TaskSetScales = { canary: 100, stable: 100 };
