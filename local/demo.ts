/**
 * `npm run demo`: whole rollout stories on one machine in about a minute and a half. It starts Debian's
 * docker-registry on 127.0.0.1:5000 with notifications to the orchestrator, starts the orchestrator
 * (local mode, the example config, a freshly generated cosign key), then builds images with umoci,
 * pushes them with skopeo and signs them, and narrates what happens:
 *   1. v1, signed: steps, a bake, a pause for approval, approved with a click in Slack (a Slack
 *      stand-in: nothing reaches Slack), SUCCEEDED;
 *   2. v2, signed: an alarm fires mid-rollout and it is ROLLED_BACK at once;
 *   3. v3, signed by an unknown key: REJECTED, ECS untouched;
 *   4. v4, signed with Notation (a CA-issued code-signing certificate): verified as Notation, approved;
 *   5. shop v1, blue-green: the new set at full size behind the preview rule, PAUSED, approved, production
 *      switched in one call, PROMOTING for scaleDownDelay, SUCCEEDED.
 * The orchestrator keeps running afterwards for exploring the API (`--exit` stops it).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { silentLogger } from '../shared/observability/logger';
import { loadConfig } from '../shared/config/load-config';
import type { Rollout } from '../shared/core/rollout';
import { isTerminal } from '../shared/core/status';
import { randomBytes } from 'node:crypto';
import { Secret } from '../shared/config/webhooks-schema';
import type { AppConfig } from '../shared/config/types';
import { startLocalStack } from './local-stack';
import { startSlackStandIn } from './slack-stand-in';
import { generateCosignKeyPair, pushCosignSignature } from './registry/cosign-signer';
import { startDockerRegistry } from './registry/docker-registry';
import { buildAndPushImage } from './registry/oci-image';
import { notationSigner, pushNotationSignature, signNotationJws, TEST_SUBJECT } from './registry/notation-signer';
import { createRootCa } from './registry/test-certificates';
import { OciRegistryClient } from '../shared/adapters/oci-registry/oci-registry-client';
import { MediaType } from '../shared/adapters/oci-registry/types';

const REGISTRY_PORT = 5000;
const REGISTRY = `127.0.0.1:${REGISTRY_PORT}`;
const REPOSITORY = 'team/web';
const exitAtEnd = process.argv.includes('--exit');

const say = (text: string) => process.stdout.write(`${text}\n`);

const ALB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const DEMO_RULE = `${ALB}:listener-rule/app/demo/0000000000000001/0000000000000002/0000000000000003`;
const DEMO_TRAFFIC = [
  '    traffic:',
  '      alb:',
  `        listenerRule: ${DEMO_RULE}`,
  `        targetGroups: [${ALB}:targetgroup/web-blue/00000000000000a1, ${ALB}:targetgroup/web-green/00000000000000a2]`,
].join('\n');
/** A blue-green service, shop, on the same load balancer: production's rule, and a rule of a test listener for the preview. */
const SHOP_RULE = `${ALB}:listener-rule/app/demo/0000000000000001/0000000000000002/0000000000000004`;
const SHOP_PREVIEW = `${ALB}:listener-rule/app/demo/0000000000000001/0000000000000005/0000000000000006`;
const SCALE_DOWN_DELAY_SECONDS = 5;
const DEMO_BLUE_GREEN = [
  '  shop:',
  '    cluster: demo',
  '    service: shop',
  '    image: 127.0.0.1:5000/team/shop',
  '    verify:',
  '      keys: [keys/cosign.pub]',
  '    traffic:',
  '      alb:',
  `        listenerRule: ${SHOP_RULE}`,
  `        targetGroups: [${ALB}:targetgroup/shop-blue/00000000000000b1, ${ALB}:targetgroup/shop-green/00000000000000b2]`,
  '    blueGreen:',
  `      previewListenerRule: ${SHOP_PREVIEW}`,
  '      autoPromote: false',
  `      scaleDownDelay: ${SCALE_DOWN_DELAY_SECONDS}s`,
  '    local:',
  '      desiredCount: 2',
].join('\n');
const step = (text: string) => say(`\n\x1b[1m== ${text}\x1b[0m`);

function requireTools(): void {
  const missing = ['docker-registry', 'skopeo', 'umoci'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    process.stderr.write(
      `npm run demo needs ${missing.join(', ')} (a real registry, and the tools to build and push images).\n` +
        `On Debian or Ubuntu install them with:\n\n    sudo apt-get update && sudo apt-get install -y docker-registry skopeo umoci\n\n` +
        `(\`npm start\` alone needs none of them.)\n`,
    );
    process.exit(2);
  }
}

async function main(): Promise<void> {
  requireTools();
  const demoDir = resolve(process.env.ROLLOUT_DATA_DIR || '.data', 'demo');
  rmSync(demoDir, { recursive: true, force: true });
  mkdirSync(demoDir, { recursive: true });

  // The demo signs with a key of its own; its config is the example with that key trusted instead.
  const keys = generateCosignKeyPair();
  writeFileSync(join(demoDir, 'cosign.pub'), keys.publicKeyPem);
  writeFileSync(join(demoDir, 'cosign.key'), keys.privateKeyPem, { mode: 0o600 });
  const example = readFileSync(resolve('examples/rollout.config.yaml'), 'utf8');
  const configFile = join(demoDir, 'rollout.config.yaml');
  // It also trusts Notation signatures from a CA of its own (the web service), beside the cosign key,
  // and its web service shifts traffic with ALB weights (traffic.alb), on the local load balancer.
  const notationCa = createRootCa({ commonName: 'demo CI root' });
  const notation = notationSigner({ ca: notationCa });
  writeFileSync(join(demoDir, 'notation-ca.pem'), notationCa.certificate.toString());
  const trustNotation = `keys: [cosign.pub]
      notation:
        trustStore: [notation-ca.pem]
        trustedIdentities: ['x509.subject: C=${TEST_SUBJECT.country}, ST=${TEST_SUBJECT.state}, O=${TEST_SUBJECT.organization}']`;
  // A blue-green service, shop, beside them (before worker).
  const withAlb = example.replace(/^( {4}container: app\b.*)$/m, `$1\n${DEMO_TRAFFIC}`).replace(/^ {2}worker:$/m, `${DEMO_BLUE_GREEN}\n\n  worker:`);
  writeFileSync(configFile, withAlb.replaceAll('keys/cosign.pub', 'cosign.pub').replace('keys: [cosign.pub]', trustNotation));
  const loaded = await loadConfig(configFile);
  // Slack, stood in for: web's approval requests go to it with Approve / Reject / Abort buttons, and
  // the demo clicks as the Slack user U0DEMO, whom access.slack knows as demo@example.com.
  const slack = await startSlackStandIn();
  const signingSecret = randomBytes(16).toString('hex');
  const web = loaded.services.web!;
  const config: AppConfig = {
    ...loaded,
    services: {
      ...loaded.services,
      web: { ...web, notify: [...(web.notify ?? []), { kind: 'slack', name: 'demo-slack', webhookUrlEnv: 'DEMO_SLACK_WEBHOOK_URL', webhookUrl: new Secret(slack.webhookUrl), on: ['PAUSED', 'ROLLED_BACK'], linkTtlSeconds: 3600 }] },
    },
    access: { ...loaded.access, tokens: loaded.access?.tokens ?? [], slack: { team: 'T0DEMO', users: { U0DEMO: { person: 'demo@example.com', role: 'operator' } } } },
    slack: { signingSecretEnv: 'DEMO_SLACK_SIGNING_SECRET', signingSecret: new Secret(signingSecret) },
  };

  const port = Number(process.env.PORT || 3000);
  const stack = await startLocalStack({ config, dataDir: join(demoDir, 'state'), port, logger: silentLogger, taskStartMs: 150, slack: { responseUrlPrefix: slack.responsePrefix } });
  const registry = await startDockerRegistry({
    port: REGISTRY_PORT,
    dataDir: join(demoDir, 'registry'),
    notifyUrl: `${stack.url}/webhooks/registry`,
    notifyToken: stack.webhookToken,
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.apiToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the demo reads a few fields of several answer shapes
    return res.json() as Promise<any>;
  };
  const stopAll = async () => {
    await registry.stop();
    await stack.stop();
    await slack.close();
  };
  process.on('SIGINT', () => void stopAll().then(() => process.exit(0)));

  say(`orchestrator: ${stack.url}   (API token: ${stack.apiToken})`);
  say(`registry:     http://${REGISTRY}   notifications -> ${stack.url}/webhooks/registry`);
  say(`config:       ${configFile}`);

  const seen = new Set<string>();
  const splits = new Map<string, string>();
  /** What a rule forwards, as it happens, e.g. `ALB web: web-blue 80 / web-green 20`. */
  const showSplit = (label: string, rule: string) => {
    const now = Object.entries(stack.elbv2.weights(rule))
      .map(([arn, weight]) => `${arn.split('/')[1]} ${weight}`)
      .join(' / ');
    if (now !== splits.get(label)) say(`  ${' '.repeat(12)}  ${label}: ${now}`);
    splits.set(label, now);
  };
  const WEB_SPLITS: readonly (readonly [string, string])[] = [['ALB web', DEMO_RULE]];
  const SHOP_SPLITS: readonly (readonly [string, string])[] = [['ALB shop production', SHOP_RULE], ['ALB shop preview', SHOP_PREVIEW]];
  /** Prints each new event of the service's newest rollout, and its rules' splits, until `until` says stop. */
  const follow = async (until: (r: Rollout) => boolean, timeoutMs = 120_000, service = 'web', rules = WEB_SPLITS): Promise<Rollout> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const page = await api('GET', `/rollouts?service=${service}&limit=1`);
      const r = page.items[0] as Rollout | undefined;
      if (r) {
        for (const e of r.events) {
          const key = `${r.id}#${e.seq}`;
          if (seen.has(key)) continue;
          seen.add(key);
          say(`  ${e.at.slice(11, 23)}  ${e.type.padEnd(18)} ${e.message}`);
        }
        for (const [label, rule] of rules) showSplit(label, rule);
        if (until(r)) return r;
      }
      if (Date.now() > deadline) throw new Error('the demo timed out waiting for the rollout');
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const release = async (tag: string, signWith: string, repository = REPOSITORY) => {
    const image = await buildAndPushImage({ host: REGISTRY, repository, tag, label: `demo ${tag} ${Date.now()}` });
    say(`pushed ${image.reference} = ${image.digest}`);
    await pushCosignSignature({ host: REGISTRY, repository, digest: image.digest, privateKeyPem: signWith });
    say(`signed it (cosign signature under ${image.digest.replace(':', '-')}.sig)`);
    return image;
  };
  const isNewest = (digest: string) => (r: Rollout) => r.image.digest === digest;

  step('1. Push v1, signed with the trusted key: it rolls out step by step and pauses for approval');
  const v1 = await release('v1', keys.privateKeyPem);
  const paused = await follow((r) => isNewest(v1.digest)(r) && (r.status === 'PAUSED' || isTerminal(r.status)));
  const asked = await waitForSlack(() => slack.message(paused.id));
  const buttons = asked.json.blocks.find((b: { type: string }) => b.type === 'actions').elements as { action_id: string; value: string }[];
  say(`\n  Slack (stand-in) got: ${asked.json.text}`);
  say(`  buttons: ${buttons.map((b) => b.action_id).join(', ')}; clicking Approve as Slack user U0DEMO`);
  const approve = slack.click({ team: 'T0DEMO', user: 'U0DEMO', actionId: 'rollout.approve', value: buttons[0]!.value }, signingSecret);
  await fetch(`${stack.url}/webhooks/slack/interactions`, { method: 'POST', headers: approve.headers, body: approve.body });
  say(`  the message now says: ${(slack.responses(approve.responseUrl)[0] as { text?: string } | undefined)?.text ?? '(no update)'}`);
  say(`  (or: curl -X POST ${stack.url}/rollouts/${paused.id}/approve -H 'Authorization: Bearer …' -d '{"by":"demo"}')`);
  await follow((r) => r.id === paused.id && isTerminal(r.status));
  const service = await api('GET', '/services/web');
  say(`  GET /services/web -> stable ${service.stable}`);

  step('2. Push v2: an alarm fires during the bake and the rollout is rolled back at once');
  const v2 = await release('v2', keys.privateKeyPem);
  const baking = await follow((r) => isNewest(v2.digest)(r) && (r.wait?.for === 'bake' || isTerminal(r.status)));
  const t0 = performance.now();
  const alarm = await api('PUT', '/local/alarms/web-5xx', { state: 'ALARM', reason: 'Threshold Crossed: 5xx rate above 1%' });
  say(`  PUT /local/alarms/web-5xx ALARM -> rolled back ${alarm.rolledBack.join(', ')} in ${Math.round(performance.now() - t0)} ms`);
  await follow((r) => r.id === baking.id && isTerminal(r.status));
  await api('PUT', '/local/alarms/web-5xx', { state: 'OK' });

  step('3. Push v3 signed by a key nobody trusts: rejected, ECS untouched');
  const stranger = generateCosignKeyPair();
  const v3 = await release('v3', stranger.privateKeyPem);
  await follow((r) => isNewest(v3.digest)(r) && isTerminal(r.status), 30_000);

  step('4. Push v4 signed with Notation (a JWS envelope, as `notation sign` writes it): verified as Notation');
  const v4 = await buildAndPushImage({ host: REGISTRY, repository: REPOSITORY, tag: 'v4', label: `demo v4 ${Date.now()}` });
  say(`pushed ${v4.reference} = ${v4.digest}`);
  const oci = new OciRegistryClient({ host: REGISTRY, config: { insecure: true } });
  const head = (await oci.headManifest(REPOSITORY, v4.digest, [MediaType.OciManifest]))!;
  const envelope = signNotationJws(notation, { digest: v4.digest, size: head.size, mediaType: head.mediaType });
  // The registry has no referrers API: Notation writes the signature manifest and the sha256-<hex> index.
  const signature = await pushNotationSignature(oci, REPOSITORY, { digest: v4.digest, mediaType: head.mediaType, size: head.size }, envelope, { referrersTag: true });
  say(`signed it (Notation signature manifest ${signature}, listed under ${v4.digest.replace(':', '-')})`);
  const pausedV4 = await follow((r) => isNewest(v4.digest)(r) && (r.status === 'PAUSED' || isTerminal(r.status)));
  say(`  signature: ${pausedV4.signature?.type} by ${pausedV4.signature?.certificate?.subject ?? '?'}`);
  if (pausedV4.status === 'PAUSED') {
    await api('POST', `/rollouts/${pausedV4.id}/approve`, { by: 'demo', comment: 'Notation-signed release' });
    await follow((r) => r.id === pausedV4.id && isTerminal(r.status));
  }

  step(`5. Blue-green: push shop v1; the new set runs at full size behind the preview rule, approved, production switched, the old set kept ${SCALE_DOWN_DELAY_SECONDS} s`);
  const shop = await release('v1', keys.privateKeyPem, 'team/shop');
  const isShop = (r: Rollout) => r.image.digest === shop.digest;
  /** Both of shop's rules as they forward now. */
  const showShop = (when: string) => {
    say(`  ${when}:`);
    for (const [label, rule] of SHOP_SPLITS) {
      splits.delete(label);
      showSplit(label, rule);
    }
  };
  const previewed = await follow((r) => isShop(r) && (r.status === 'PAUSED' || isTerminal(r.status)), 120_000, 'shop', SHOP_SPLITS);
  if (previewed.status === 'PAUSED') {
    showShop('PAUSED: the preview rule forwards to the new set only, production all to the old one');
    say('  approving (POST /rollouts/{id}/approve)');
    await api('POST', `/rollouts/${previewed.id}/approve`, { by: 'demo', comment: 'preview looks good' });
    const promoting = await follow((r) => r.id === previewed.id && (r.status === 'PROMOTING' || isTerminal(r.status)), 60_000, 'shop', SHOP_SPLITS);
    if (promoting.status === 'PROMOTING') showShop(`PROMOTING: production switched in one call; the old set stays at full size for ${SCALE_DOWN_DELAY_SECONDS} s (an alarm now would switch back)`);
    const ended = await follow((r) => r.id === previewed.id && isTerminal(r.status), 60_000, 'shop', SHOP_SPLITS);
    showShop(`${ended.status}: the old set removed`);
  }

  step('Done');
  say(`stable image of web: ${(await api('GET', '/services/web')).stable} (v1 = ${v1.digest}, v4 = ${v4.digest})`);
  say(`stable image of shop: ${(await api('GET', '/services/shop')).stable} (v1 = ${shop.digest})`);
  say(`try:  curl -s -H 'Authorization: Bearer ${stack.apiToken}' ${stack.url}/rollouts | jq`);
  if (exitAtEnd) {
    await stopAll();
    return;
  }
  say('the orchestrator and the registry keep running; Ctrl-C stops them.');
}

async function waitForSlack<T>(look: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = look();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('the Slack stand-in received no approval request');
    await new Promise((res) => setTimeout(res, 50));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});

