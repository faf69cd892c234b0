/**
 * Nothing the server sends reaches the terminal as a control sequence: a registry event id, a comment,
 * a reason or a problem's detail holding `ESC ] 0 ; … BEL` (set the title), `ESC [ 2 J` (clear the
 * screen), a carriage return (overwrite the line) or a C1 CSI is shown escaped, in every command.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main';
import { plain } from '../../../cli/format';
import { terminalJson, terminalText } from '../../../cli/terminal';
import { watchRollout } from '../../../cli/watch';
import type { RolloutApi } from '../../../cli/api-client';
import { ID, capture, rollout } from './fixtures';

const HOSTILE = 'evil\x1b]0;pwned\x07\x1b[2J\rSUCCEEDED\x9b31m\u202Egnp.exe\u2028x';
// What may reach a terminal: printable text, our own newlines, and our own colour codes (none with plain).
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const hostile = () =>
  rollout({
    reason: HOSTILE,
    image: { registry: '127.0.0.1:5000', repository: 'team/web', tag: HOSTILE, digest: rollout().image.digest },
    approvals: [{ by: HOSTILE, credential: HOSTILE, comment: HOSTILE, at: '2026-01-01T10:00:05.000Z', step: 1 }],
    events: [{ seq: 0, at: '2026-01-01T10:00:00.000Z', type: 'CREATED', message: `created from distribution notification ${HOSTILE}` }],
  });

function fakeFetch(status: number, body: unknown) {
  return (async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch;
}

async function run(argv: string[], status: number, body: unknown) {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { env: { ROLLOUT_API_TOKEN: 'tok', USER: 'ann' }, stdout, stderr, fetch: fakeFetch(status, body), sleep: async () => {} });
  return { code, out: stdout.text, err: stderr.text };
}

describe('terminal safety', () => {
  it('escapes controls, C1 and bidi characters, and leaves other text alone', () => {
    expect(terminalText('a\x1b[2Jb\x07c\x9bd\u202Ee\nf\tg')).toBe('a\\x1b[2Jb\\x07c\\x9bd\\u202ee\\nf\\tg');
    expect(terminalText('café ✓ 日本')).toBe('café ✓ 日本');
    expect(JSON.parse(terminalJson({ a: HOSTILE }))).toEqual({ a: HOSTILE });
    expect(terminalJson({ a: HOSTILE })).not.toMatch(UNSAFE);
  });

  it.each([
    ['get', ['get', ID]],
    ['list', ['list']],
    ['get --json', ['get', ID, '--json']],
  ])('rollout %s prints no control character from the server', async (_name, argv) => {
    const body = argv[0] === 'list' ? { items: [hostile()], nextCursor: HOSTILE } : hostile();
    const { code, out, err } = await run(argv, 200, body);
    expect(code).toBe(0);
    expect(out).not.toMatch(UNSAFE);
    expect(err).not.toMatch(UNSAFE);
    if (argv[0] === 'get' && argv.length === 2) expect(out).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J\\rSUCCEEDED');
  });

  it('prints a problem detail and its errors escaped', async () => {
    const { code, err } = await run(['approve', ID], 409, { type: 'about:blank', title: 'x', status: 409, detail: HOSTILE, errors: [HOSTILE] });
    expect(code).not.toBe(0);
    expect(err).not.toMatch(UNSAFE);
  });

  it('rollout watch prints events, reasons and the header escaped, on a terminal and in a log', async () => {
    for (const tty of [false, true]) {
      const out = capture(tty, 200);
      const err = capture();
      const ended = hostile();
      const api = { get: async () => ({ ...ended, status: 'ROLLED_BACK', wait: null }), events: async () => null } as unknown as RolloutApi;
      await watchRollout(api, ID, { intervalMs: 1000, json: false, style: plain, out, err, sleep: async () => {}, now: () => 0 });
      // On a terminal, watch draws with its own cursor movements (ESC [ n F, ESC [ J): only those may remain.
      // eslint-disable-next-line no-control-regex
      const text = out.text.replace(/\x1b\[\d+F\x1b\[J/g, '');
      expect(text).not.toMatch(UNSAFE);
      expect(text).toContain('\\x1b]0;pwned');
    }
  });
});
