/**
 * Local mode's CloudWatch stand-in: alarm states set through `PUT /local/alarms/{name}`. A change to
 * ALARM acts like the EventBridge `CloudWatch Alarm State Change` event in AWS: the orchestrator
 * rolls back every active rollout watching the alarm, before the request is answered.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { LocalAlarmControl } from '../shared/http/app';
import { AlarmState, type Alarms } from '../shared/ports';

interface StoredAlarm {
  state: AlarmState;
  reason: string | null;
  updatedAt: string;
}

export type AlarmListener = (name: string, state: AlarmState, reason: string | null) => Promise<string[]>;

export class LocalAlarms implements Alarms, LocalAlarmControl {
  private readonly alarms: Record<string, StoredAlarm>;
  private listener: AlarmListener = async () => [];

  constructor(private readonly stateFile?: string) {
    this.alarms = stateFile && existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, StoredAlarm>) : {};
  }

  onChange(listener: AlarmListener): void {
    this.listener = listener;
  }

  async set(name: string, state: AlarmState, reason: string | null): Promise<{ rolledBack: string[] }> {
    const previous = this.alarms[name]?.state;
    try {
      // EventBridge sends changes only, but ALARM is acted on every time it is set: rolling back is
      // idempotent, and a retry must work even when the first listener call failed half-way.
      const rolledBack = previous === state && state !== AlarmState.Alarm ? [] : await this.listener(name, state, reason);
      return { rolledBack };
    } finally {
      // Recorded after the event is handled, so that the event's handler (and its answer) acts first
      // and the workflow's own check before the next step finds the state afterwards.
      this.alarms[name] = { state, reason, updatedAt: new Date().toISOString() };
      this.persist();
    }
  }

  async list(): Promise<Record<string, StoredAlarm>> {
    return { ...this.alarms };
  }

  async states(names: readonly string[]): Promise<Readonly<Record<string, AlarmState>>> {
    const out: Record<string, AlarmState> = {};
    for (const n of names) out[n] = this.alarms[n]?.state ?? AlarmState.Ok;
    return out;
  }

  private persist(): void {
    if (!this.stateFile) return;
    writeFileSync(`${this.stateFile}.tmp`, JSON.stringify(this.alarms, null, 2));
    renameSync(`${this.stateFile}.tmp`, this.stateFile);
  }
}
