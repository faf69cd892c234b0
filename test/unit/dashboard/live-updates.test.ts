import { describe, expect, it } from 'vitest';
import type { RolloutListener } from '../../../shared/orchestration/orchestrator';
import { LiveUpdates } from '../../../shared/http/dashboard/live-updates';
import { rolloutStates } from '../observability/rollout-states';

/** The orchestrator's subscribe, recording who listens. */
function fakeOrchestrator() {
  const listeners = new Set<RolloutListener>();
  return {
    listeners,
    subscribe(listener: RolloutListener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    tell: (rollout = rolloutStates().paused) => [...listeners].forEach((l) => l({ ...rollout, taskToken: 'secret-task-token' }, rollout)),
  };
}

async function readText(reader: ReadableStreamDefaultReader<Uint8Array>, until: (text: string) => boolean, text = ''): Promise<string> {
  const decoder = new TextDecoder();
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += decoder.decode(value);
  }
  return text;
}

describe('live updates', () => {
  it('subscribe once for all clients, and let go with the last one', async () => {
    const orchestrator = fakeOrchestrator();
    const live = new LiveUpdates(orchestrator);
    expect(orchestrator.listeners.size).toBe(0);
    const a = live.open().getReader();
    const b = live.open().getReader();
    expect(live.size).toBe(2);
    expect(orchestrator.listeners.size).toBe(1);
    await a.cancel();
    expect(orchestrator.listeners.size).toBe(1);
    await b.cancel();
    expect(live.size).toBe(0);
    expect(orchestrator.listeners.size).toBe(0);
  });

  it('send ready, then each change as a rollout event without the task token, then heartbeats', async () => {
    const orchestrator = fakeOrchestrator();
    const live = new LiveUpdates(orchestrator, { heartbeatMs: 20 });
    const reader = live.open().getReader();
    let text = await readText(reader, (t) => t.includes('event: ready'));
    expect(text).toContain('retry: 3000\n\nevent: ready\ndata: {"heartbeatMs":20}\n\n');
    orchestrator.tell();
    text = await readText(reader, (t) => t.includes('event: rollout'), text);
    const block = /event: rollout\nid: (.*)\ndata: (.*)\n\n/.exec(text)!;
    const { paused } = rolloutStates();
    expect(block[1]).toBe(`r1@${paused.version}`);
    expect(JSON.parse(block[2]!)).toMatchObject({ id: 'r1', status: 'PAUSED', canaryWeight: 50 });
    expect(block[2]).not.toContain('secret-task-token');
    text = await readText(reader, (t) => /\n: heartbeat \S+\n\n/.test(t), text);
    await reader.cancel();
  });

  it('drop a client that stops reading, instead of queueing for it forever', async () => {
    const orchestrator = fakeOrchestrator();
    const live = new LiveUpdates(orchestrator, { maxQueued: 3 });
    const stream = live.open(); // never read
    for (let i = 0; i < 5; i++) orchestrator.tell();
    expect(live.size).toBe(0);
    expect(orchestrator.listeners.size).toBe(0);
    await stream.cancel();
  });

  it('end every stream on close', async () => {
    const orchestrator = fakeOrchestrator();
    const live = new LiveUpdates(orchestrator);
    const reader = live.open().getReader();
    live.close();
    const text = await readText(reader, () => false);
    expect(text).toContain('event: ready');
    expect(live.size).toBe(0);
  });
});
