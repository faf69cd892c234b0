import { describe, expect, it } from 'vitest';
import { configWith, load, problems } from './config-fixtures';

const P = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const RULE = `${P}:listener-rule/app/web/0123456789abcdef/1123456789abcdef/2123456789abcdef`;
const PREVIEW = `${P}:listener-rule/app/web/0123456789abcdef/5123456789abcdef/6123456789abcdef`;
const LISTENER = `${P}:listener/app/web/0123456789abcdef/1123456789abcdef`;
const BLUE = `${P}:targetgroup/web-blue/3123456789abcdef`;
const GREEN = `${P}:targetgroup/web-green/4123456789abcdef`;
const TRAFFIC = { alb: { listenerRule: RULE, targetGroups: [BLUE, GREEN] } };

/** The web service rolled out blue-green instead of by steps. */
const blueGreen = (section: unknown, patch: Record<string, unknown> = {}) => configWith({ steps: undefined, traffic: TRAFFIC, blueGreen: section, ...patch });

describe("a service's blueGreen section", () => {
  it('reads the preview rule, with autoPromote false and a 30s scaleDownDelay by default, and runs the blue-green steps', async () => {
    const web = (await load(blueGreen({ previewListenerRule: PREVIEW }))).services.web!;
    expect(web.blueGreen).toEqual({ previewListenerRule: PREVIEW, autoPromote: false, scaleDownDelay: 30 });
    expect(web.steps).toEqual([{ setWeight: 0 }, { pause: { name: 'preview' } }]);
  });

  it('reads autoPromote and scaleDownDelay as a duration', async () => {
    const web = (await load(blueGreen({ previewListenerRule: PREVIEW, autoPromote: true, scaleDownDelay: '2m' }))).services.web!;
    expect(web.blueGreen).toEqual({ previewListenerRule: PREVIEW, autoPromote: true, scaleDownDelay: 120 });
    expect(web.steps).toEqual([{ setWeight: 0 }]);
  });

  it('works with a listener default action as production', async () => {
    const web = (await load(blueGreen({ previewListenerRule: PREVIEW }, { traffic: { alb: { listener: LISTENER, targetGroups: [BLUE, GREEN] } } }))).services.web!;
    expect(web.blueGreen?.previewListenerRule).toBe(PREVIEW);
  });

  it.each([
    ['with steps', blueGreen({ previewListenerRule: PREVIEW }, { steps: [{ setWeight: 100 }] }), 'services.web.blueGreen: cannot be combined with steps'],
    ['without traffic.alb', blueGreen({ previewListenerRule: PREVIEW }, { traffic: undefined }), 'services.web.blueGreen: needs traffic.alb'],
    ['a listener as the preview rule', blueGreen({ previewListenerRule: LISTENER }), 'services.web.blueGreen.previewListenerRule: is a listener ARN, not a listener rule ARN'],
    ['a target group as the preview rule', blueGreen({ previewListenerRule: BLUE }), 'services.web.blueGreen.previewListenerRule: is a target group ARN, not a listener rule ARN'],
    ['the production rule as the preview rule', blueGreen({ previewListenerRule: RULE }), 'services.web.blueGreen.previewListenerRule: is the production rule'],
    ['a preview rule of another region', blueGreen({ previewListenerRule: PREVIEW.replace('eu-west-1', 'us-east-1') }), 'services.web.blueGreen.previewListenerRule: must be in the region and account of traffic.alb (eu-west-1:123456789012)'],
    ['a bad scaleDownDelay', blueGreen({ previewListenerRule: PREVIEW, scaleDownDelay: 'soon' }), 'services.web.blueGreen.scaleDownDelay:'],
    ['a non-boolean autoPromote', blueGreen({ previewListenerRule: PREVIEW, autoPromote: 'yes' }), 'services.web.blueGreen.autoPromote: must be true or false'],
    ['an unknown key', blueGreen({ previewListenerRule: PREVIEW, previewListener: LISTENER }), "services.web.blueGreen: unknown key 'previewListener'"],
    ['no preview rule', blueGreen({ autoPromote: true }), 'services.web.blueGreen.previewListenerRule:'],
    ['neither steps nor blueGreen', configWith({ steps: undefined }), 'services.web.steps: must list at least one step, like - setWeight: 100 (or configure blueGreen)'],
  ])('refuses a blueGreen %s, naming the field', async (_name, doc, message) => {
    expect(await problems(doc)).toEqual([expect.stringContaining(message)]);
  });
});
