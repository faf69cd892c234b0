/**
 * kill -9 at each store write of a rollout's creation, deterministically (the random kills of
 * kill-restart.test.ts found one of these moments once): the webhook was answered 202, the delivery's
 * work claimed the (service, digest) and then the process died before the record (whose own write makes
 * the rollout active: no marker item of its own), right after it, or right after taking the service lock
 * (whose save records the signature too). The next life dispatches the delivery again at start and finishes
 * the creation under the id the answer promised: one rollout, one canary, SUCCEEDED, and the delivery's
 * outcome names it. Local mode runs as a child process (test/fault/child/local-mode.ts, KILL_AT).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../helpers/fault-harness';
import { waitFor } from '../helpers/http';
import { killConfig, type Life, spawnLocalMode } from '../helpers/kill-restart';
import { pushEnvelope } from '../helpers/local-config';

const config = killConfig(1);
const service = config.services['kill0']!;

async function stop(life: { child: Life['child']; exited: Promise<void> }): Promise<void> {
  if (life.child.exitCode === null && life.child.signalCode === null) life.child.kill('SIGTERM');
  await Promise.race([life.exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (life.child.exitCode === null && life.child.signalCode === null) life.child.kill('SIGKILL');
}

describe.each([
  ['record', 'after the claim, before the record'],
  ['created', 'right after the record, before its signature is checked'],
  ['locked', 'right after the service lock is taken, before the save that records the verified signature and the start'],
])('a kill during a rollout\'s creation (%s)', (killAt, when) => {
  it(`${when}: the next life finishes it under the promised id, once`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `kill-create-${killAt}-`));
    try {
      const first = spawnLocalMode(dataDir, config, 0, { KILL_AT: killAt });
      const life0 = await first.listening;
      const digest = `sha256:${'c'.repeat(63)}${killAt.length}`;
      const answer = await life0.hook('POST', '/webhooks/registry', pushEnvelope(service.repository, 'v1', digest), { 'content-type': 'application/json' });
      expect(answer.status).toBe(202);
      const id: string = answer.body.accepted[0].rolloutId;
      await Promise.race([first.exited, new Promise((r) => setTimeout(r, 15_000))]);
      expect(first.child.signalCode, 'the first life killed itself at the write').toBe('SIGKILL');

      const second = spawnLocalMode(dataDir, config, 1);
      const life1 = await second.listening;
      try {
        const done = await waitFor(`rollout ${id} SUCCEEDED`, async () => {
          const res = await life1.api('GET', `/rollouts/${id}`);
          return res.status === 200 && res.body.status === 'SUCCEEDED' ? res.body : undefined;
        }, 30_000);
        expect(done.image.digest).toBe(digest);
        const listed = await life1.api('GET', `/rollouts?service=kill0`);
        expect(listed.body.items.map((r: { id: string }) => r.id)).toEqual([id]);
        const outcome = await life1.api('GET', `/deliveries/${answer.body.deliveryId}`);
        expect(outcome.body).toMatchObject({ status: 'PROCESSED', accepted: [{ rolloutId: id }] });
        expect((await life1.api('GET', '/services/kill0')).body.activeRollout).toBeNull();
      } finally {
        await stop(second);
      }

      // One canary created across both lives.
      const ledgerFile = join(dataDir, 'ecs-ledger.ndjson');
      const entries = (existsSync(ledgerFile) ? readFileSync(ledgerFile, 'utf8').split('\n') : []).filter(Boolean).map((l) => JSON.parse(l) as LedgerEntry);
      expect(entries.filter((e) => e.operation === 'CreateTaskSet' && e.ok && e.created.length > 0)).toHaveLength(1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
