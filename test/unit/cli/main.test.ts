/** The CLI in process, against a fake fetch: requests sent, output printed, exit codes. */
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main';
import { clock } from '../../../cli/format';
import { ID, capture, rollout } from './fixtures';

type Call = { url: string; method: string; headers: Record<string, string>; body: unknown };

function fakeApi(answer: (call: Call) => { status: number; body: unknown }) {
  const calls: Call[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const call = { url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body: init.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(call);
    const { status, body } = answer(call);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': status < 300 ? 'application/json' : 'application/problem+json' } });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

const problem = (status: number, detail: string, errors?: string[]) => ({ status, body: { type: 'about:blank', title: 'x', status, detail, ...(errors ? { errors } : {}) } });

async function run(argv: string[], answer: (call: Call) => { status: number; body: unknown }, env: Record<string, string> = {}) {
  const api = fakeApi(answer);
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { env: { ROLLOUT_API_TOKEN: 'tok', USER: 'ann', ...env }, stdout, stderr, fetch: api.fetch, sleep: async () => {} });
  return { code, out: stdout.text, err: stderr.text, calls: api.calls };
}

describe('rollout (in process)', () => {
  it('prints the raw JSON with --json, sending the token from the environment to the URL from the flag', async () => {
    const r = rollout();
    const { code, out, calls } = await run(['get', ID, '--json', '--url', 'https://api.example.com/prod/'], () => ({ status: 200, body: r }));
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(r);
    expect(calls[0]).toMatchObject({ url: `https://api.example.com/prod/rollouts/${ID}`, method: 'GET', headers: { authorization: 'Bearer tok' } });
  });

  it('sends list filters as query parameters, the status in capitals, and hints at the next page on stderr', async () => {
    const { code, out, err, calls } = await run(['list', '--service', 'web', '--status', 'paused', '--limit', '5'], () => ({ status: 200, body: { items: [rollout()], nextCursor: 'abc' } }));
    expect(code).toBe(0);
    expect(calls[0]!.url).toBe('http://127.0.0.1:3000/rollouts?service=web&status=PAUSED&limit=5');
    expect(out).toMatch(/^ID +SERVICE/);
    expect(err).toBe('more: rollout list --cursor abc\n');
  });

  it('refuses a bad --limit, --status or URL before asking the API (exit 2)', async () => {
    for (const argv of [['list', '--limit', '0'], ['list', '--status', 'DONE'], ['list', '--url', 'localhost:3000'], ['watch', ID, '--interval', 'soon']]) {
      const { code, err, calls } = await run(argv, () => ({ status: 200, body: {} }));
      expect(code, argv.join(' ')).toBe(2);
      expect(err).toMatch(/^error: /);
      expect(calls).toEqual([]);
    }
  });

  it('acts as $USER unless --by says otherwise, with the comment or reason', async () => {
    const ok = () => ({ status: 200, body: rollout({ status: 'PROGRESSING' }) });
    expect((await run(['approve', ID, '--comment', 'p99 fine'], ok)).calls[0]).toMatchObject({ method: 'POST', url: `http://127.0.0.1:3000/rollouts/${ID}/approve`, body: { by: 'ann', comment: 'p99 fine' } });
    expect((await run(['abort', ID, '--reason', 'bad build', '--by', 'bob'], ok)).calls[0]!.body).toEqual({ by: 'bob', reason: 'bad build' });
    expect((await run(['promote', ID], ok)).calls[0]!.body).toEqual({ by: 'ann' });
    const approved = await run(['approve', ID], ok);
    expect(approved.out).toBe(`approved rollout ${ID} (web)\n[##########..........] 50%  PROGRESSING  step 2/3 pause until approved  (waiting for approval)\n`);
    const nobody = await run(['reject', ID], ok, { USER: '', LOGNAME: '', USERNAME: '' });
    expect(nobody.calls[0]!.body).toEqual({ by: userInfo().username });
  });

  it('pauses with a reason and resumes, printing what the rollout waits for now', async () => {
    const since = '2026-01-01T10:00:07.000Z';
    const manual = rollout({ wait: { for: 'manual', by: 'ann', reason: 'checking p99', since, resume: { for: 'bake', until: '2026-01-01T10:01:00.000Z' } } });
    const paused = await run(['pause', ID, '--reason', 'checking p99'], () => ({ status: 200, body: manual }));
    expect(paused.code).toBe(0);
    expect(paused.calls[0]).toMatchObject({ method: 'POST', url: `http://127.0.0.1:3000/rollouts/${ID}/pause`, body: { by: 'ann', reason: 'checking p99' } });
    expect(paused.out).toBe(`paused rollout ${ID} (web)\n[##########..........] 50%  PAUSED  step 2/3 pause until approved  (paused by ann since ${clock(since)}: checking p99; resume to go on)\n`);
    expect((await run(['pause', ID, '--by', 'bob'], () => ({ status: 200, body: manual }))).calls[0]!.body).toEqual({ by: 'bob' });

    const resumed = await run(['resume', ID], () => ({ status: 200, body: rollout({ status: 'PROGRESSING', wait: { for: 'bake', until: '2026-01-01T10:01:30.000Z' } }) }));
    expect(resumed.code).toBe(0);
    expect(resumed.calls[0]).toMatchObject({ method: 'POST', url: `http://127.0.0.1:3000/rollouts/${ID}/resume`, body: { by: 'ann' } });
    expect(resumed.out).toMatch(new RegExp(`^resumed rollout ${ID} \\(web\\)\n.*PROGRESSING.*\\(baking until `));
  });

  it.each([
    ['pause', problem(409, `cannot pause rollout ${ID}: it is PAUSED, and only PROGRESSING rollouts can be`), 5],
    ['resume', problem(409, `cannot resume rollout ${ID}: it waits for approval at step 2/3, not paused by hand; approve it instead`), 5],
    ['pause', problem(403, 'vic (token:vic) is a viewer; this needs the operator role'), 3],
    ['resume', problem(404, `rollout ${ID} does not exist`), 4],
    ['pause', problem(400, 'invalid pause request', ['reason: must be at most 2000 characters']), 2],
  ] as const)('%s: a refusal is printed and exits by its status (%#)', async (command, answer, code) => {
    const res = await run([command, ID], () => answer);
    expect(res.code).toBe(code);
    expect(res.err).toMatch(new RegExp(`^error: ${answer.body.detail.replace(/[()/.]/g, '\\$&')}\n`));
    expect(res.out).toBe('');
  });

  it.each([
    [problem(401, 'invalid API token'), 3, 'error: invalid API token\n'],
    [problem(404, `rollout ${ID} does not exist`), 4, `error: rollout ${ID} does not exist\n`],
    [problem(409, 'cannot approve rollout: it is SUCCEEDED'), 5, 'error: cannot approve rollout: it is SUCCEEDED\n'],
    [problem(400, 'invalid approve request', ['comment: too long']), 2, 'error: invalid approve request\n  - comment: too long\n'],
    [problem(502, 'ECS failed'), 1, 'error: ECS failed\n'],
    [{ status: 500, body: 'oops' }, 1, 'error: the API answered HTTP 500\n'],
  ])('prints an API problem as "error: <detail>" and exits by its status (%#)', async (answer, code, err) => {
    const res = await run(['approve', ID], () => answer);
    expect(res.code).toBe(code);
    expect(res.err).toBe(err);
    expect(res.out).toBe('');
  });

  it('hints at the token when none is set and the API says 401', async () => {
    const { code, err } = await run(['services'], () => problem(401, 'missing Authorization header'), { ROLLOUT_API_TOKEN: '' });
    expect(code).toBe(3);
    expect(err).toBe('error: missing Authorization header (set ROLLOUT_API_TOKEN or pass --token)\n');
  });

  it('exits 1 when nothing answers', async () => {
    const stderr = capture();
    const refused = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    }) as unknown as typeof fetch;
    const code = await main(['services', '--url', 'http://127.0.0.1:9'], { env: {}, stdout: capture(), stderr, fetch: refused });
    expect(code).toBe(1);
    expect(stderr.text).toBe('error: cannot reach the API at http://127.0.0.1:9 (connect ECONNREFUSED 127.0.0.1:9)\n');
  });

  it('prints help on stdout and exits 0', async () => {
    const { code, out } = await run(['services', '--help'], () => ({ status: 200, body: {} }));
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: rollout services\n/);
  });
});
