/**
 * The real CLI (`node bin/rollout.mjs …`, as `npx rollout` runs it) as a subprocess against a local
 * stack started here: output, the API calls it makes, and its exit codes.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../shared/observability/logger';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { type ApiClient, apiClient, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

const BIN = fileURLToPath(new URL('../../../bin/rollout.mjs', import.meta.url));
const config = appConfig([serviceConfig('web'), serviceConfig('worker', { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] })]);

let stack: LocalStack;
let api: ApiClient;
let hook: ApiClient;
let nextDigest = 900;

beforeAll(async () => {
  stack = await startLocalStack({ config, port: 0, taskStartMs: 10, steadyPollMs: 10, verifier: new ScriptedVerifier(), logger: silentLogger, webhookToken: 'hook-token', apiToken: 'api-token' });
  api = apiClient(stack.url, stack.apiToken);
  hook = apiClient(stack.url, stack.webhookToken);
});
afterAll(async () => stack?.stop());

/** Runs the CLI; asynchronously, since the stack it talks to runs in this very process. */
function rollout(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    // NO_COLOR unset: the output must be plain because it is not a terminal, not because of the environment.
    const { NO_COLOR: _noColor, ...inherited } = process.env;
    const childEnv = { ...inherited, ROLLOUT_URL: stack.url, ROLLOUT_API_TOKEN: stack.apiToken, USER: 'ann', ...env };
    execFile(process.execPath, [BIN, ...args], { env: childEnv, timeout: 60_000 }, (error, out, err) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err });
    });
  });
}

async function push(service: string, tag: string): Promise<string> {
  const res = await hook('POST', '/webhooks/registry', pushEnvelope(`team/${service}`, tag, digestOf(nextDigest++)), { 'content-type': 'application/json' });
  expect(res.status).toBe(202);
  return res.body.accepted[0].rolloutId;
}

const untilStatus = (id: string, status: string) => waitFor(`${id} ${status}`, async () => (await api('GET', `/rollouts/${id}`)).body.status === status || undefined);

// Each run of the CLI starts a node process and loads it through tsx: allow for a loaded machine.
const SLOW = { timeout: 120_000 };

describe('npx rollout', () => {
  it('lists, shows, approves and watches a rollout to SUCCEEDED (exit 0)', SLOW, async () => {
    const id = await push('web', 'v2');
    await untilStatus(id, 'PAUSED');

    const [list, listJson, get, getJson] = await Promise.all([
      rollout(['list', '--service', 'web']),
      rollout(['list', '--json', '--status', 'paused']),
      rollout(['get', id]),
      rollout(['get', id, '--json']),
    ]);
    expect(list).toMatchObject({ code: 0, err: '' });
    expect(list.out).toMatch(new RegExp(`^ID +SERVICE +STATUS +WEIGHT +STEP +IMAGE +CREATED\n${id} +web +PAUSED +50% +4/5 +v2 sha256:`));
    expect(list.out).not.toContain('\x1b['); // not a terminal: no colour
    const listed = JSON.parse(listJson.out);
    expect(listed.items.map((r: any) => r.id)).toContain(id);

    expect(get.code).toBe(0);
    expect(get.out).toContain('Canary    [##########..........] 50%');
    expect(get.out).toMatch(/\[>\] +4\/5 +pause until approved +RUNNING/);
    expect(get.out).toMatch(/PAUSED +step 4\/5: paused at 50% until approved/);
    expect(JSON.parse(getJson.out)).toMatchObject({ id, status: 'PAUSED', canaryWeight: 50 });

    const watching = rollout(['watch', id]);
    // It follows the live updates: approved once it is subscribed, the change must reach it without polling.
    await waitFor('the CLI to subscribe to /events', async () => stack.operator.live!.size === 1 || undefined);
    const approve = await rollout(['approve', id, '--comment', 'p99 fine']);
    expect(approve).toMatchObject({ code: 0, err: '' });
    expect(approve.out).toMatch(new RegExp(`^approved rollout ${id} \\(web\\)\n`));
    const watched = await watching;
    expect(watched.code).toBe(0);
    expect(watched.out).toMatch(/APPROVED +step 4\/5 approved by ann\b.*: p99 fine/);
    expect(watched.out).toMatch(/\[#{20}\] 100% {2}SUCCEEDED/);
    expect(watched.out.trimEnd().split('\n').pop()).toBe(`rollout ${id} SUCCEEDED`);
    expect((await api('GET', `/rollouts/${id}`)).body.approvals).toEqual([expect.objectContaining({ by: 'ann', comment: 'p99 fine' })]);

    const again = await rollout(['approve', id]);
    expect(again.code).toBe(5);
    expect(again.err).toMatch(/^error: cannot approve rollout .*: it is SUCCEEDED/);
  });

  it('watches (polling) a rollout that is aborted and rolls back, and exits 6', SLOW, async () => {
    const id = await push('worker', 'v2');
    await untilStatus(id, 'PAUSED');
    const watching = rollout(['watch', id, '--poll', '--interval', '0.1']);
    const abort = await rollout(['abort', id, '--reason', 'wrong build', '--by', 'bob']);
    expect(abort.code).toBe(0);
    const watched = await watching;
    expect(watched.code).toBe(6);
    expect(watched.out).toMatch(/ABORTED +aborted by bob\b.*: wrong build/);
    expect(watched.out).toMatch(new RegExp(`rollout ${id} ROLLED_BACK: aborted by bob\\b.*: wrong build\\n$`));
  });

  it('exits 3 on a bad token, 4 on an unknown rollout, 2 on bad usage and 1 when nothing answers', SLOW, async () => {
    const [badToken, unknown, watchUnknown, usage, down] = await Promise.all([
      rollout(['list'], { ROLLOUT_API_TOKEN: 'wrong' }),
      rollout(['get', '0000000000zzzzzzzzzzzzzzzz']),
      rollout(['watch', 'nope']),
      rollout(['approve']),
      rollout(['services', '--url', 'http://127.0.0.1:9']),
    ]);
    expect(badToken).toMatchObject({ code: 3, out: '', err: 'error: invalid API token\n' });
    expect(unknown).toMatchObject({ code: 4, err: 'error: rollout 0000000000zzzzzzzzzzzzzzzz does not exist\n' });
    expect(watchUnknown.code).toBe(4);
    expect(usage.code).toBe(2);
    expect(usage.err).toBe('error: approve takes <id>\nrun: rollout approve --help\n');
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^error: cannot reach the API at http:\/\/127\.0\.0\.1:9/);
  });

  it('lists the services with their stable digest and active rollout', SLOW, async () => {
    const [res, json] = await Promise.all([rollout(['services']), rollout(['services', '--json'])]);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^NAME +ECS +STABLE +ACTIVE ROLLOUT +STEPS +ALARMS\nweb +demo\/web +sha256:/);
    expect(JSON.parse(json.out).items.map((s: any) => s.name)).toEqual(['web', 'worker']);
  });

  it('refuses pause and resume where they do not apply, with exit 5 and the reason', SLOW, async () => {
    await waitFor('worker free', async () => (await api('GET', '/services/worker')).body.activeRollout === null || undefined);
    const id = await push('worker', 'v9');
    await untilStatus(id, 'PAUSED');
    const [resume, pause] = await Promise.all([rollout(['resume', id]), rollout(['pause', id, '--reason', 'a look'])]);
    expect(resume).toMatchObject({ code: 5, out: '' });
    expect(resume.err).toMatch(/^error: cannot resume rollout \w+: it waits for approval at step 2\/3, not paused by hand; approve it instead\n$/);
    expect(pause).toMatchObject({ code: 5, out: '' });
    expect(pause.err).toMatch(/^error: cannot pause rollout \w+: it is PAUSED, and only PROGRESSING rollouts can be\n$/);
    expect((await api('POST', `/rollouts/${id}/abort`, { by: 'ann' })).status).toBe(200);
  });
});
