/**
 * `blueGreen:` (docs/configuration.md#bluegreen): blue-green with a preview rule and manual promotion,
 * on top of `traffic.alb` (which names the production rule and the pair of target groups). Shapes are
 * checked here; that it comes with `traffic.alb` and without `steps` is checked across the service
 * (schema.ts), so that each error names its field.
 */
import { z } from 'zod';
import { durationSchema } from './steps-schema';
import { arnOf } from './traffic-schema';

export interface BlueGreenConfig {
  /** A test listener's rule: forwards 100% to the new task set's target group while it is previewed. */
  readonly previewListenerRule: string;
  /** Default false: wait for approval (the service's `approvals`); true: promote once the new set is steady. */
  readonly autoPromote: boolean;
  /** Seconds the old task set stays at full size after production switched. Default 30. */
  readonly scaleDownDelay: number;
}

export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;

export const blueGreenSchema = z
  .strictObject({
    previewListenerRule: arnOf('listener-rule'),
    autoPromote: z.boolean({ error: 'must be true or false' }).nullish(),
    scaleDownDelay: durationSchema.nullish(),
  })
  .transform(
    (bg): BlueGreenConfig => ({
      previewListenerRule: bg.previewListenerRule,
      autoPromote: bg.autoPromote ?? false,
      scaleDownDelay: bg.scaleDownDelay ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS,
    }),
  );
