export { ElbV2StandIn, type ElbV2StandInOptions, type ElbCall } from './stand-in';
export { startElbV2StandIn, elbV2RequestListener, type RunningElbV2StandIn } from './server';
export { ElbApiError } from './errors';
export type { TargetHealthReading } from './health';
export { seedTraffic, type LocalTargetGroupTiming } from './seed-traffic';
