import { describe, expect, it } from 'vitest';
import { configWith, load, problems } from './config-fixtures';

describe('service policies', () => {
  it('default to supersede, a 10 minute steady timeout, ok for missing alarm data and one approver', async () => {
    const config = await load(configWith());
    expect(config.services.web!.policies).toEqual({
      onNewImage: 'supersede',
      steadyTimeout: 600,
      steadyTimeoutConfigured: false,
      insufficientData: 'ok',
      approvals: { required: 1, timeout: null, onTimeout: 'rollback' },
    });
  });

  it('read onNewImage, steadyTimeout, alarmPolicy and approvals', async () => {
    const config = await load(
      configWith({ onNewImage: 'queue', steadyTimeout: '15m', alarmPolicy: { insufficientData: 'hold' }, approvals: { required: 2, timeout: '4h', onTimeout: 'promote' } }),
    );
    expect(config.services.web!.policies).toEqual({
      onNewImage: 'queue',
      steadyTimeout: 900,
      steadyTimeoutConfigured: true,
      insufficientData: 'hold',
      approvals: { required: 2, timeout: 14400, onTimeout: 'promote' },
    });
  });

  it('name every bad value by its path', async () => {
    expect(
      await problems(configWith({ onNewImage: 'replace', alarmPolicy: { insufficientData: 'maybe' }, approvals: { required: 0, onTimeout: 'wait' } })),
    ).toEqual([
      'services.web.onNewImage: must be one of queue, supersede, reject',
      'services.web.alarmPolicy.insufficientData: must be one of ok, hold, fail',
      'services.web.approvals.required: must be between 1 and 10',
      'services.web.approvals.onTimeout: must be one of rollback, promote',
    ]);
  });

  it('give approval pauses a name, a quorum and a deadline, and refuse those on a timed pause', async () => {
    const config = await load(configWith({ steps: [{ setWeight: 20 }, { pause: { name: 'qa-signoff', approvals: 2, timeout: '1h', onTimeout: 'rollback' } }] }));
    expect(config.services.web!.steps[1]).toEqual({ pause: { name: 'qa-signoff', approvals: 2, timeout: 3600, onTimeout: 'rollback' } });
    expect(await problems(configWith({ steps: [{ pause: { duration: '30s', approvals: 2 } }] }))).toEqual([
      'services.web.steps[0].pause.approvals: only applies to a pause that waits for approval (one without duration)',
    ]);
  });
});

describe('access', () => {
  const sha = 'a'.repeat(64);

  it('reads named tokens by hash with roles, and OIDC with defaults', async () => {
    const config = await load(configWith({}, { access: { tokens: [{ name: 'ann', sha256: sha, role: 'operator' }], oidc: { issuer: 'https://login.example.com', audience: 'rollouts' } } }));
    expect(config.access).toEqual({
      tokens: [{ name: 'ann', sha256: sha, role: 'operator' }],
      oidc: { issuer: 'https://login.example.com', audience: 'rollouts', claim: 'email', role: 'operator' },
    });
  });

  it('refuses a token given in clear, an unknown role and a repeated name', async () => {
    const issues = await problems(
      configWith({}, { access: { tokens: [{ name: 'ann', sha256: 'hunter2', role: 'operator' }, { name: 'ann', sha256: sha, role: 'root' }] } }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'access.tokens[0].sha256: must be the sha256 of the token in lower-case hex (printf %s "$TOKEN" | sha256sum)',
        'access.tokens[1].role: must be one of viewer, operator, admin',
      ]),
    );
  });
});
