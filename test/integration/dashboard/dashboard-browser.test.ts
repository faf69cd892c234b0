/**
 * The dashboard in a real browser (headless Chromium) against a local stack started here: sign in with
 * the API token, watch a rollout move without reloading the page, and approve it with the button.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { silentLogger } from '../../../shared/observability/logger';
import { type ApiClient, apiClient, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { CHROMIUM, hasChromium, launchChromium } from './browser';
import { blueGreenSteps } from '../../../shared/core/blue-green';

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
/** Blue-green: its rollouts wait at the preview, then are PROMOTING for a long scaleDownDelay. */
const shop = serviceConfig('shop', {
  steps: blueGreenSteps({ autoPromote: false }),
  blueGreen: { previewListenerRule: `${ELB}:listener-rule/app/shop/00000000000000a1/00000000000000b2/00000000000000c4`, autoPromote: false, scaleDownDelay: 600 },
  traffic: { alb: { listenerRule: `${ELB}:listener-rule/app/shop/00000000000000a1/00000000000000b1/00000000000000c3`, targetGroups: [`${ELB}:targetgroup/shop-blue/00000000000000d1`, `${ELB}:targetgroup/shop-green/00000000000000d2`] } },
  alarms: [],
});
const config = appConfig([
  serviceConfig('web', { steps: [{ setWeight: 20 }, { pause: { duration: 1 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }] }),
  // worker: a 6 s bake, so that the rollout is PROGRESSING long enough to be paused by hand even on a loaded machine.
  serviceConfig('worker', { steps: [{ setWeight: 20 }, { pause: { duration: 6 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }] }),
  shop,
]);

let stack: LocalStack;
let browser: Browser;
let api: ApiClient;

beforeAll(async () => {
  if (!hasChromium()) throw new Error(`the dashboard tests need Debian's chromium at ${CHROMIUM}: sudo apt-get install -y chromium`);
  [stack, browser] = await Promise.all([
    startLocalStack({ config, port: 0, taskStartMs: 15, steadyPollMs: 15, verifier: new ScriptedVerifier(), logger: silentLogger, webhookToken: 'hook-token', apiToken: 'api-token-for-the-dashboard', operator: { heartbeatMs: 1000, env: {} } }),
    launchChromium(),
  ]);
  api = apiClient(stack.url, stack.apiToken);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function push(service: string, tag: string, digest: string): Promise<string> {
  const res = await fetch(`${stack.url}/webhooks/registry`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.webhookToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(pushEnvelope(`team/${service}`, tag, digest)),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { accepted: { rolloutId: string }[] }).accepted[0]!.rolloutId;
}

async function signIn(page: Page, token: string, name: string) {
  await page.goto(`${stack.url}/`);
  await page.locator('#by').fill(name);
  await page.locator('#token').fill(token);
  await page.getByRole('button', { name: 'Open dashboard' }).click();
}

const card = (id: string) => `article[data-rollout-id="${id}"]`;

describe('the dashboard', () => {
  it('serves its shell to anyone, but shows nothing until the API accepts the token', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page, 'the-webhook-token-or-a-typo', 'ann');
    await expect.poll(() => page.locator('#signin-error').textContent()).toMatch(/refused/);
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await page.evaluate("sessionStorage.getItem('rollout.apiToken')")).toBeNull();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a rollout progressing live, without a reload, and approves it with the button', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    await signIn(page, stack.apiToken, 'ann');
    await page.waitForSelector('.service[data-service="web"]');
    await page.waitForSelector('#conn[data-mode="live"]');
    // A marker that a reload would wipe out.
    await page.evaluate('window.__noReload = true');

    const digest = digestOf(0xd45b);
    const id = await push('web', 'v2', digest);

    // Every state below arrives over the event stream; the page is never reloaded.
    await page.waitForSelector(`${card(id)}[data-weight="20"]`);
    await page.waitForSelector(`${card(id)} .step[data-step="1"][data-status="RUNNING"]`); // the 1 s bake
    await page.waitForSelector(`${card(id)}[data-status="PAUSED"][data-weight="50"]`);
    expect(await page.locator(`${card(id)} .canary-weight`).textContent()).toBe('50%');
    expect(await page.locator(`${card(id)} .step`).evaluateAll((steps) => steps.map((s) => s.getAttribute('data-status')))).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'RUNNING', 'PENDING']);
    expect(await page.locator(`${card(id)} details.events`).textContent()).toContain('PAUSED');
    expect(await page.locator('.service[data-service="web"] a').textContent()).toMatch(/PAUSED/);
    await page.screenshot({ path: '/tmp/dashboard-paused.png', fullPage: true });

    await page.locator(`${card(id)} button.approve`).click();
    await page.waitForSelector(`${card(id)}[data-status="SUCCEEDED"]`, { timeout: 15_000 });
    expect(await page.locator(`#recent ${card(id)}`).count()).toBe(1);
    await waitFor('the stable digest on the service card', async () => (await page.locator('.service[data-service="web"] dd[data-field="stable"]').getAttribute('title')) === digest || undefined);
    await page.screenshot({ path: '/tmp/dashboard-succeeded.png', fullPage: true });

    const done = (await api('GET', `/rollouts/${id}`)).body;
    expect(done.status).toBe('SUCCEEDED');
    expect(done.approvals).toEqual([expect.objectContaining({ by: 'ann', comment: 'approved on the dashboard', step: 3 })]);
    expect(await page.evaluate('window.__noReload')).toBe(true);
    expect(navigations).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a blue-green rollout previewed, then PROMOTING with an abort that switches back', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page, stack.apiToken, 'bea');
    await page.waitForSelector('#conn[data-mode="live"]');
    const id = await push('shop', 'v2', digestOf(0xd45d));

    await page.waitForSelector(`${card(id)}[data-status="PAUSED"][data-weight="0"] button.approve`, { timeout: 15_000 });
    expect(await page.locator(`${card(id)} .legend`).textContent()).toMatch(/^new 0%old 100%blue-green, preview rule 00000000000000c4$/);
    expect(await page.locator(`${card(id)} .step .label`).allTextContents()).toEqual(['preview', 'approve: preview']);
    await page.locator(`${card(id)} button.approve`).click();
    await page.waitForSelector(`${card(id)}[data-status="PROMOTING"][data-weight="100"] button.abort`, { timeout: 15_000 });
    expect(await page.locator(`${card(id)} .meta`).textContent()).toMatch(/production on the new task set; the old one kept until .* \(scaleDownDelay\): abort switches back/);
    await page.screenshot({ path: '/tmp/dashboard-promoting.png', fullPage: true });
    await page.locator(`${card(id)} button.abort`).click();
    await page.waitForSelector(`${card(id)}[data-status="ROLLED_BACK"]`, { timeout: 15_000 });
    expect((await api('GET', `/rollouts/${id}`)).body.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['SWITCHED', 'ABORTED', 'ROLLED_BACK']));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('pauses a progressing rollout with the button and resumes it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page, stack.apiToken, 'pia');
    await page.waitForSelector('#conn[data-mode="live"]');
    const id = await push('worker', 'v2', digestOf(0xd45c));

    await page.locator(`${card(id)}[data-status="PROGRESSING"] button.pause`).click();
    await page.waitForSelector(`${card(id)}[data-status="PAUSED"] button.resume`);
    expect(await page.locator(`${card(id)} button.approve`).count()).toBe(0);
    expect(await page.locator(`${card(id)} .meta`).textContent()).toContain('paused by pia: paused on the dashboard');
    expect((await api('GET', `/rollouts/${id}`)).body.wait).toMatchObject({ for: 'manual', by: 'pia', reason: 'paused on the dashboard' });

    await page.locator(`${card(id)} button.resume`).click();
    // On to the approval pause: Approve there, not Resume.
    await page.locator(`${card(id)}[data-status="PAUSED"] button.approve`).click({ timeout: 15_000 });
    await page.waitForSelector(`${card(id)}[data-status="SUCCEEDED"]`, { timeout: 15_000 });
    const types = (await api('GET', `/rollouts/${id}`)).body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['MANUALLY_PAUSED', 'RESUMED', 'APPROVED', 'SUCCEEDED']));
    expect(errors).toEqual([]);
    await page.close();
  });
});
