import { describe, expect, it } from 'vitest';
import { configWith, load, problems, PUBLIC_PEM } from './config-fixtures';

const stepsOf = async (steps: unknown) => (await load(configWith({ steps }))).services.web?.steps;
const problemsOf = (steps: unknown) => problems(configWith({ steps }));

describe('steps', () => {
  it('reads setWeight and pauses, with durations in whole seconds', async () => {
    expect(
      await stepsOf([{ setWeight: 0 }, { pause: { duration: '1h30m' } }, { pause: { duration: 90 } }, { pause: {} }, { setWeight: 100 }]),
    ).toEqual([{ setWeight: 0 }, { pause: { duration: 5400 } }, { pause: { duration: 90 } }, { pause: {} }, { setWeight: 100 }]);
  });

  it('accepts a bare `pause:` (YAML null) as a pause until approved', async () => {
    const yaml = [
      'registries: { 127.0.0.1:5000: { insecure: true } }',
      'services:',
      '  web:',
      '    cluster: demo',
      '    service: web',
      '    image: 127.0.0.1:5000/team/web',
      `    verify: { keys: [${JSON.stringify(PUBLIC_PEM)}] }`,
      '    steps:',
      '      - setWeight: 10',
      '      - pause:',
      '      - setWeight: 100',
    ].join('\n');
    expect((await load(yaml)).services.web?.steps).toEqual([{ setWeight: 10 }, { pause: {} }, { setWeight: 100 }]);
  });

  it('allows weights to go down, a trailing pause, and steps that never reach 100', async () => {
    expect(await stepsOf([{ setWeight: 50 }, { setWeight: 20 }, { pause: { duration: '0s' } }])).toEqual([
      { setWeight: 50 },
      { setWeight: 20 },
      { pause: { duration: 0 } },
    ]);
  });

  it.each([
    [[], 'services.web.steps: must list at least one step, like - setWeight: 100'],
    [[{ setWeight: 101 }], 'services.web.steps[0].setWeight: must be between 0 and 100'],
    [[{ setWeight: -1 }], 'services.web.steps[0].setWeight: must be between 0 and 100'],
    [[{ setWeight: 12.5 }], 'services.web.steps[0].setWeight: must be a whole number between 0 and 100'],
    [[{ setWeight: '20' }], 'services.web.steps[0].setWeight: must be a whole number between 0 and 100 (remove the quotes)'],
    [[{ setWeight: null }], 'services.web.steps[0].setWeight: must not be empty'],
    [[{}], 'services.web.steps[0]: must be one of setWeight or pause'],
    [[20], 'services.web.steps[0]: must be one of setWeight or pause, like setWeight: 20 or pause: { duration: 30s }'],
    [[{ setWeight: 20, pause: {} }], 'services.web.steps[0]: must have only one of setWeight or pause: write each as its own step'],
    [[{ pause: '30s' }], 'services.web.steps[0].pause: must be a mapping: write pause: { duration: 30s }, or pause: {} to wait for approval'],
    [[{ pause: { duration: null } }], 'services.web.steps[0].pause.duration: must be a duration like 30s (omit duration to wait for approval)'],
    [[{ pause: { duration: [] } }], 'services.web.steps[0].pause.duration: must be a duration like 30s, 5m or 1h30m'],
    [[{ pause: { duration: '1.5m' } }], "services.web.steps[0].pause.duration: '1.5m' has a fraction: durations are whole seconds (write 1m30s, not 1.5m)"],
    [[{ pause: { duration: '-5s' } }], "services.web.steps[0].pause.duration: '-5s' is negative: a duration must be 0 or more"],
    [[{ pause: { duration: '2d' } }], "services.web.steps[0].pause.duration: '2d' has an unknown unit 'd': use h, m or s (like 30s, 5m, 1h30m or 90 (seconds))"],
    [[{ pause: { duration: '8761h' } }], 'services.web.steps[0].pause.duration: must be at most 8760h'],
    [[{ pause: { duration: '5s', until: 'approved' } }], "services.web.steps[0].pause: unknown key 'until'"],
  ])('refuses %j', async (steps, problem) => {
    expect(await problemsOf(steps)).toEqual([problem]);
  });

  it('names the step key a typo was meant to be', async () => {
    expect(await problemsOf([{ setweight: 20 }])).toEqual([
      'services.web.steps[0]: must be one of setWeight or pause',
      "services.web.steps[0]: unknown key 'setweight' (did you mean 'setWeight'?)",
    ]);
  });

  it('reports a problem in every step at once', async () => {
    expect(await problemsOf([{ setWeight: 200 }, { pause: { duration: 'x' } }, { setWeight: 50 }, { pauze: {} }])).toEqual([
      'services.web.steps[0].setWeight: must be between 0 and 100',
      "services.web.steps[1].pause.duration: 'x' is not a duration: write one like 30s, 5m, 1h30m or 90 (seconds)",
      'services.web.steps[3]: must be one of setWeight or pause',
      "services.web.steps[3]: unknown key 'pauze' (did you mean 'pause'?)",
    ]);
  });
});
