/**
 * What the load balancer keeps across a restart of local mode, as AWS keeps it across a restart of the
 * orchestrator: load balancers, listeners, rules with their actions (the weights a rollout set) and
 * target groups with their settings. Targets are not kept: the ECS stand-in registers the tasks that
 * run after a restart again (local/ecs-emulator/load-balancers.ts).
 *
 * File format, version 1: `{"version":1,"loadBalancers":[…],"listeners":[…],"rules":[…],"targetGroups":[…]}`,
 * each record as in types.ts (target groups without `targets`).
 */
import { readStateFile, writeStateFile } from '../sdk/state-file';
import type { StoredListener, StoredLoadBalancer, StoredRule, StoredTargetGroup } from './types';

export interface ElbStateData {
  readonly version: 1;
  readonly loadBalancers: StoredLoadBalancer[];
  readonly listeners: StoredListener[];
  readonly rules: StoredRule[];
  readonly targetGroups: Omit<StoredTargetGroup, 'targets'>[];
}

export interface ElbRecords {
  readonly loadBalancers: Map<string, StoredLoadBalancer>;
  readonly listeners: Map<string, StoredListener>;
  readonly rules: Map<string, StoredRule>;
  readonly targetGroups: Map<string, StoredTargetGroup>;
}

/** Fills `into` from the file, if there is one. */
export function loadElbState(file: string, into: ElbRecords): void {
  const state = readStateFile<ElbStateData>(file, 'ELBv2 stand-in', 1);
  if (!state) return;
  for (const lb of state.loadBalancers ?? []) into.loadBalancers.set(lb.arn, lb);
  for (const listener of state.listeners ?? []) into.listeners.set(listener.arn, listener);
  for (const rule of state.rules ?? []) into.rules.set(rule.arn, rule);
  for (const group of state.targetGroups ?? []) into.targetGroups.set(group.arn, { ...group, targets: new Map() });
}

export function saveElbState(file: string, records: ElbRecords): void {
  const state: ElbStateData = {
    version: 1,
    loadBalancers: [...records.loadBalancers.values()],
    listeners: [...records.listeners.values()],
    rules: [...records.rules.values()],
    targetGroups: [...records.targetGroups.values()].map(({ targets: _targets, ...group }) => group),
  };
  writeStateFile(file, state);
}
