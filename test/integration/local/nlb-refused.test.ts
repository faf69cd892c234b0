/**
 * A Network Load Balancer named where `traffic.alb` (or `blueGreen`) needs an Application Load
 * Balancer's listener or rule, end to end in local mode: `npm start` refuses the file with the reason
 * naming each field and starts nothing (no state written), and `npx rollout doctor --local` refuses it
 * the same way without a single ECS or ELBv2 call. Weighted target groups and rules exist only on an
 * Application Load Balancer (docs/configuration.md#traffic).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as cli } from '../../../cli/main';
import { startLocalStack } from '../../../local/local-stack';
import { silentLogger } from '../../../shared/observability/logger';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';

const P = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const NLB_LISTENER = `${P}:listener/net/edge/0123456789abcdef/1123456789abcdef`;
const NLB_RULE = `${P}:listener-rule/net/edge/0123456789abcdef/1123456789abcdef/2123456789abcdef`;
const PRODUCTION_RULE = `${P}:listener-rule/app/shop/0123456789abcdef/3123456789abcdef/4123456789abcdef`;
const group = (name: string, n: number) => `${P}:targetgroup/${name}/${n.toString(16).padStart(16, '0')}`;
const REFUSED = [
  'services.web.traffic.alb.listener: is a Network Load Balancer listener: weighted target groups need an Application Load Balancer (app/)',
  "services.shop.blueGreen.previewListenerRule: is a Network Load Balancer's: a Network Load Balancer has no listener rules; name an Application Load Balancer's rule (app/)",
];

let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nlb-refused-'));
  file = join(dir, 'rollout.config.yaml');
  const service = (name: string, lines: string[]) => [
    `  ${name}:`,
    '    cluster: demo',
    `    service: ${name}`,
    `    image: 127.0.0.1:5000/team/${name}`,
    `    verify: { keys: [${resolve('examples/keys/cosign.pub')}] }`,
    ...lines,
  ];
  writeFileSync(
    file,
    [
      'registries:',
      '  127.0.0.1:5000: { insecure: true }',
      'services:',
      ...service('web', ['    steps: [{ setWeight: 20 }, { setWeight: 100 }]', `    traffic: { alb: { listener: ${NLB_LISTENER}, targetGroups: [${group('web-blue', 1)}, ${group('web-green', 2)}] } }`]),
      ...service('shop', [
        `    traffic: { alb: { listenerRule: ${PRODUCTION_RULE}, targetGroups: [${group('shop-blue', 3)}, ${group('shop-green', 4)}] } }`,
        `    blueGreen: { previewListenerRule: ${NLB_RULE} }`,
      ]),
      '',
    ].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a Network Load Balancer in traffic.alb or blueGreen, in local mode', () => {
  it('npm start refuses the file, naming each field, and starts nothing', async () => {
    const dataDir = join(dir, 'state');
    const child = spawn(resolve('node_modules/.bin/tsx'), ['local/main.ts'], {
      env: { ...process.env, ROLLOUT_CONFIG: file, ROLLOUT_DATA_DIR: dataDir, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    // A file it accepted would start the orchestrator and keep running: stopped, and the test fails on the exit code.
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((done) => child.on('exit', (exit) => done(exit)));
    clearTimeout(killer);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`invalid configuration in ${file}:`);
    for (const line of REFUSED) expect(stderr).toContain(`  - ${line}`);
    expect(existsSync(dataDir)).toBe(false);
  }, 40_000);

  it('npx rollout doctor --local refuses the file the same way, without an ECS or ELBv2 call', async () => {
    const stack = await startLocalStack({ config: appConfig([serviceConfig('web')]), port: 0, verifier: new ScriptedVerifier(), logger: silentLogger, apiToken: 'api-token', webhookToken: 'hook-token' });
    try {
      const [ecsBefore, elbBefore] = [stack.ecs.calls.length, stack.elbv2.calls.length];
      let out = '';
      const io = { env: {}, stdout: { write: (text: string) => void (out += text) }, stderr: { write: (text: string) => void (out += text) } };
      const code = await cli(['doctor', '--local', '--config', file, '--url', stack.url, '--token', 'api-token'], io);
      expect(code).toBe(1);
      for (const line of REFUSED) expect(out).toContain(line);
      expect(out).not.toMatch(/^checked /m);
      expect(stack.ecs.calls.length).toBe(ecsBefore);
      expect(stack.elbv2.calls.length).toBe(elbBefore);
    } finally {
      await stack.stop();
    }
  });
});
