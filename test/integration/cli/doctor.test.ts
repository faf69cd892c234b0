import { CreateServiceCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { formatDiagnosis, runDoctor } from '../../../cli/doctor';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { useEcsEmulator } from '../ecs/ecs-fixture';

const ecs = useEcsEmulator();
const HOME = { region: 'us-east-1', account: '000000000000' };
const IMAGE = `registry.local/team/web@sha256:${'a'.repeat(64)}`;

describe('rollout doctor against the ECS emulator, through the real ECSClient', () => {
  it('passes a service that a rollout can deploy, and says what is wrong with each other one, read-only', async () => {
    const { emulator, client } = await ecs.start();
    emulator.seedService({ cluster: 'demo', service: 'web', desiredCount: 2, containerName: 'app', image: IMAGE });
    emulator.seedService({ cluster: 'demo', service: 'two', desiredCount: 2, containerName: 'app', image: IMAGE });
    await client.send(new RegisterTaskDefinitionCommand({ family: 'classic', containerDefinitions: [{ name: 'app', image: IMAGE }] }));
    await client.send(new CreateServiceCommand({ cluster: 'demo', serviceName: 'classic', taskDefinition: 'classic', desiredCount: 1 }));
    await client.send(new CreateServiceCommand({ cluster: 'demo', serviceName: 'bare', desiredCount: 1, deploymentController: { type: 'EXTERNAL' } }));
    emulator.clearCalls();
    const config = appConfig([
      serviceConfig('web'),
      serviceConfig('nocluster', { cluster: 'prod', service: 'web' }),
      serviceConfig('noservice', { service: 'gone' }),
      serviceConfig('classic'),
      serviceConfig('bare'),
      serviceConfig('two', { container: 'sidecar' }),
      serviceConfig('away', { cluster: 'arn:aws:ecs:eu-west-1:000000000000:cluster/demo', service: 'web' }),
    ]);

    const report = await runDoctor(config, client, HOME);
    const failed = Object.fromEntries(report.map((s) => [s.service, s.ok ? 'ok' : s.checks.find((c) => !c.ok)!]));
    expect(failed.web).toBe('ok');
    expect(failed.nocluster).toMatchObject({ check: 'cluster', detail: 'ECS cluster prod does not exist in region us-east-1, account 000000000000', fix: 'correct services.nocluster.cluster, or create the cluster' });
    expect(failed.noservice).toMatchObject({ check: 'service', detail: 'ECS service gone does not exist in cluster demo' });
    expect(failed.classic).toMatchObject({ check: 'controller', detail: 'ECS service classic uses the ECS deployment controller; task set rollouts need EXTERNAL' });
    expect(failed.bare).toMatchObject({ check: 'primary', detail: 'ECS service bare has no PRIMARY task set: a rollout has nothing to roll back to' });
    expect(failed.two).toMatchObject({ check: 'taskDefinition', detail: 'task definition two:1 has no container named sidecar (containers: app)', fix: 'set services.two.container to one of: app' });
    expect(failed.away).toMatchObject({ check: 'location', detail: expect.stringMatching(/^services\.away\.cluster arn:aws:ecs:eu-west-1:.* is in region eu-west-1, but the orchestrator runs in region us-east-1/) });
    // Only Describe calls: the doctor changes nothing.
    expect(emulator.calls.filter((call) => !call.operation.startsWith('Describe'))).toEqual([]);

    const text = formatDiagnosis(report, 'the emulator');
    expect(text.split('\n')[0]).toBe('checked 7 services against the emulator');
    expect(text).toContain('ok    web: in region us-east-1, account 000000000000; ECS cluster demo is ACTIVE; ECS service web is ACTIVE; deployment controller EXTERNAL;');
    expect(text).toContain("FAIL  classic: ECS service classic uses the ECS deployment controller; task set rollouts need EXTERNAL\n      fix: create the service again with deploymentController {type: EXTERNAL} (ECS cannot change a service's controller in place)");
  });

  it('reports a failing ECS call as the check it stopped', async () => {
    const { emulator, client } = await ecs.start();
    emulator.seedService({ cluster: 'demo', service: 'web', desiredCount: 1, containerName: 'app', image: IMAGE });
    emulator.faults.fail('DescribeServices', { error: 'AccessDeniedException', message: 'not authorized to perform ecs:DescribeServices' });
    const [web] = await runDoctor(appConfig([serviceConfig('web')]), client, HOME);
    expect(web!.ok).toBe(false);
    expect(web!.checks.at(-1)).toMatchObject({ check: 'service', detail: expect.stringContaining('AccessDeniedException: not authorized to perform ecs:DescribeServices') });
  });
});

describe('npx rollout doctor --local', () => {
  it("checks the example configuration against local mode's ECS, found through GET /local/endpoints", async () => {
    const { startLocalStack } = await import('../../../local/local-stack');
    const { loadConfig } = await import('../../../shared/config/load-config');
    const { silentLogger } = await import('../../../shared/observability/logger');
    const { ScriptedVerifier } = await import('../../helpers/scripted-verifier');
    const { main } = await import('../../../cli/main');
    const file = 'examples/rollout.config.yaml';
    const stack = await startLocalStack({ config: await loadConfig(file), port: 0, verifier: new ScriptedVerifier(), logger: silentLogger, apiToken: 'api-token', webhookToken: 'hook-token' });
    try {
      let out = '';
      const io = { env: {}, stdout: { write: (text: string) => void (out += text) }, stderr: { write: (text: string) => void (out += text) } };
      const code = await main(['doctor', '--local', '--config', file, '--url', stack.url, '--token', 'api-token'], io);
      expect(out).toMatch(/^checked \d+ services? against local mode's ECS at http:\/\/127\.0\.0\.1:\d+/);
      expect(out).not.toContain('FAIL');
      expect(code).toBe(0);
    } finally {
      await stack.stop();
    }
  });
});

describe('npx rollout doctor --local, for services with traffic.alb', () => {
  it("checks each load balancer through local mode's elbv2 endpoint with the checks a rollout's start makes, read-only", async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join, resolve } = await import('node:path');
    const { ElasticLoadBalancingV2Client, ModifyRuleCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
    const { startLocalStack } = await import('../../../local/local-stack');
    const { loadConfig } = await import('../../../shared/config/load-config');
    const { silentLogger } = await import('../../../shared/observability/logger');
    const { ScriptedVerifier } = await import('../../helpers/scripted-verifier');
    const { main } = await import('../../../cli/main');
    const P = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
    const hex = (n: number) => n.toString(16).padStart(16, '0');
    const rule = (n: number) => `${P}:listener-rule/app/local/${hex(1)}/${hex(2)}/${hex(n)}`;
    const group = (name: string, n: number) => `${P}:targetgroup/${name}/${hex(n)}`;
    // Local mode seeds the preview rule on a test listener of the same load balancer.
    const preview = `${P}:listener-rule/app/local/${hex(1)}/${hex(3)}/${hex(12)}`;
    const service = (name: string, n: number, extra = '') =>
      [
        `  ${name}:`,
        '    cluster: demo',
        `    service: ${name}`,
        `    image: 127.0.0.1:5000/team/${name}`,
        `    verify: { keys: [${resolve('examples/keys/cosign.pub')}] }`,
        ...(extra.includes('blueGreen') ? [] : ['    steps: [{ setWeight: 20 }, { setWeight: 100 }]']),
        ...(extra ? [extra] : []),
        '    traffic:',
        '      alb:',
        `        listenerRule: ${rule(n)}`,
        `        targetGroups: [${group(`${name}-blue`, n)}, ${group(`${name}-green`, n)}]`,
      ].join('\n');
    const file = join(mkdtempSync(join(tmpdir(), 'doctor-alb-')), 'rollout.config.yaml');
    writeFileSync(file, ['registries:', '  127.0.0.1:5000: { insecure: true }', 'services:', service('edge', 10), service('stray', 11, '    steadyTimeout: 20m'), service('bg', 12, `    blueGreen: { previewListenerRule: ${preview} }`), ''].join('\n'));
    const stack = await startLocalStack({ config: await loadConfig(file), port: 0, verifier: new ScriptedVerifier(), logger: silentLogger, apiToken: 'api-token', webhookToken: 'hook-token' });
    try {
      // The stray service's rule is changed by hand to send a tenth of its traffic to a group outside its pair.
      const other = stack.elbv2.seedTargetGroup({ name: 'other' }).arn;
      const elb = new ElasticLoadBalancingV2Client({ endpoint: stack.endpoints.elbv2, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      await elb.send(new ModifyRuleCommand({ RuleArn: rule(11), Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: group('stray-blue', 11), Weight: 90 }, { TargetGroupArn: other, Weight: 10 }] } }] }));
      elb.destroy();
      stack.elbv2.clearCalls();
      let out = '';
      const io = { env: {}, stdout: { write: (text: string) => void (out += text) }, stderr: { write: (text: string) => void (out += text) } };
      const code = await main(['doctor', '--local', '--config', file, '--url', stack.url, '--token', 'api-token'], io);
      // Local target groups: health checks 2 × 2 s, 5 s of draining: the computed timeout stays at the 600 s default.
      expect(out).toContain(`ok    edge: in region us-east-1, account 000000000000; ECS cluster demo is ACTIVE;`);
      expect(out).toContain(`listener rule forwards to the target group pair; steady timeout 600s from target group ${group('edge-blue', 10)}: health check 2 × 2s, deregistration delay 5s\n`);
      expect(out).toContain(
        `FAIL  stray: services.stray.traffic.alb.listenerRule: listener rule ${rule(11)} forwards to ${other}, outside traffic.alb.targetGroups: its weights would not be the configured split\n` +
          '      fix: make the listener rule forward to the pair only, or list the groups it forwards to in traffic.alb.targetGroups\n',
      );
      expect(out).toContain('ok    bg: in region us-east-1');
      expect(out).toContain('listener rule forwards to the target group pair; preview rule on the same load balancer forwards to the pair; steady timeout 600s');
      expect(stack.elbv2.calls.some((call) => call.operation === 'DescribeRules' && JSON.stringify(call.input).includes(preview))).toBe(true);
      expect(code).toBe(1);
      expect(stack.elbv2.calls.filter((call) => !call.operation.startsWith('Describe'))).toEqual([]);
    } finally {
      await stack.stop();
    }
  });
});

describe('rollout doctor, for a blue-green service: its preview rule, against the ELBv2 stand-in through the real client', () => {
  it('passes a preview rule of a test listener that forwards to the pair, and says what is wrong with each other one, read-only', async () => {
    const { ElasticLoadBalancingV2Client } = await import('@aws-sdk/client-elastic-load-balancing-v2');
    const { startElbV2StandIn } = await import('../../../local/elbv2-stand-in');
    const elb = await startElbV2StandIn();
    const elbv2 = new ElasticLoadBalancingV2Client({ endpoint: elb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      const { emulator, client } = await ecs.start();
      emulator.attachLoadBalancers(elb.standIn);
      const { standIn } = elb;
      const forward = (arn: string) => [{ Type: 'forward' as const, ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn, Weight: 100 }] } }];
      const host = (name: string) => [{ Field: 'host-header', HostHeaderConfig: { Values: [`${name}.example.com`] } }];
      const lb = standIn.seedLoadBalancer({ name: 'shop' }).arn;
      const production = standIn.seedListener({ loadBalancerArn: lb, port: 80, defaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }).arn;
      const test = standIn.seedListener({ loadBalancerArn: lb, port: 8080, defaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }).arn;
      const other = standIn.seedTargetGroup({ name: 'other' }).arn;
      const elsewhere = standIn.seedLoadBalancer({ name: 'elsewhere' }).arn;
      const elsewhereListener = standIn.seedListener({ loadBalancerArn: elsewhere, port: 8080, defaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }).arn;
      const elsewhereGroup = standIn.seedTargetGroup({ name: 'elsewhere' }).arn;
      const services = ['good', 'gone', 'away', 'stray', 'fixed'].map((name, i) => {
        const blue = standIn.seedTargetGroup({ name: `${name}-blue` }).arn;
        const green = standIn.seedTargetGroup({ name: `${name}-green` }).arn;
        const rule = standIn.seedRule({ listenerArn: production, priority: i + 1, conditions: host(name), actions: forward(blue) }).arn;
        emulator.seedService({ cluster: 'demo', service: name, desiredCount: 1, containerName: 'app', image: IMAGE, targetGroupArn: blue });
        return { name, blue, green, rule };
      });
      const [good, gone, , stray] = services as [(typeof services)[0], (typeof services)[0], unknown, (typeof services)[0]];
      const preview = {
        good: standIn.seedRule({ listenerArn: test, priority: 1, conditions: host('good'), actions: forward(good.blue) }).arn,
        gone: `${standIn.seedRule({ listenerArn: test, priority: 2, conditions: host('gone'), actions: forward(gone.blue) }).arn.slice(0, -16)}ffffffffffffffff`,
        away: standIn.seedRule({ listenerArn: elsewhereListener, priority: 3, conditions: host('away'), actions: forward(elsewhereGroup) }).arn,
        stray: standIn.seedRule({ listenerArn: test, priority: 4, conditions: host('stray'), actions: forward(other) }).arn,
        fixed: standIn.seedRule({ listenerArn: test, priority: 5, conditions: host('fixed'), actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }] }).arn,
      };
      const config = appConfig(
        services.map(({ name, blue, green, rule }) =>
          serviceConfig(name, {
            traffic: { alb: { listenerRule: rule, targetGroups: [blue, green] } },
            blueGreen: { previewListenerRule: preview[name as keyof typeof preview], autoPromote: false, scaleDownDelay: 30 },
          }),
        ),
      );
      standIn.clearCalls();
      emulator.clearCalls();

      const report = await runDoctor(config, client, HOME, () => elbv2);
      const problems = Object.fromEntries(report.map((s) => [s.service, s.checks.filter((c) => !c.ok).map((c) => c.detail)]));
      expect(report.find((s) => s.service === 'good')).toMatchObject({ ok: true });
      expect(report.find((s) => s.service === 'good')!.checks.at(-1)!.detail).toMatch(/^listener rule forwards to the target group pair; preview rule on the same load balancer forwards to the pair; steady timeout/);
      expect(problems.gone).toEqual([`services.gone.blueGreen.previewListenerRule: listener rule ${preview.gone} does not exist`]);
      expect(problems.away).toEqual([
        `services.away.blueGreen.previewListenerRule: listener rule ${preview.away} is on load balancer ${elsewhere}, traffic.alb.listenerRule on ${lb}: a target group serves one load balancer, so the preview rule cannot forward to the pair`,
        `services.away.blueGreen.previewListenerRule: listener rule ${preview.away} forwards to ${elsewhereGroup}, outside traffic.alb.targetGroups: a rollout could not point it at the new task set alone`,
      ]);
      expect(problems.stray).toEqual([
        `services.stray.blueGreen.previewListenerRule: listener rule ${preview.stray} forwards to ${other}, outside traffic.alb.targetGroups: a rollout could not point it at the new task set alone`,
      ]);
      expect(problems.fixed).toEqual([`services.fixed.blueGreen.previewListenerRule: listener rule ${preview.fixed} has no forward action: it cannot send the preview to the new task set`]);
      expect(report.find((s) => s.service === 'away')!.checks.find((c) => !c.ok)!.fix).toBe(`name a rule of a test listener of load balancer ${lb} in blueGreen.previewListenerRule`);
      expect(formatDiagnosis(report, 'the stand-ins')).toContain(
        `FAIL  stray: services.stray.blueGreen.previewListenerRule: listener rule ${preview.stray} forwards to ${other}, outside traffic.alb.targetGroups: a rollout could not point it at the new task set alone\n` +
          `      fix: make the rule forward to one of traffic.alb.targetGroups (${stray.blue})\n`,
      );
      // Read-only: only Describe calls, on ECS and on the load balancer.
      expect(standIn.calls.filter((call) => !call.operation.startsWith('Describe'))).toEqual([]);
      expect(emulator.calls.filter((call) => !call.operation.startsWith('Describe'))).toEqual([]);
    } finally {
      elbv2.destroy();
      await elb.close();
    }
  });
});
