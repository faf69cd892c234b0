/**
 * Wires what operators see around an orchestrator, as orchestrator listeners, in one call per runtime so
 * that the entry points (local/local-stack.ts, functions/wiring/compose.ts) stay short:
 * - every rollout event as a JSON log line with the rollout id (both);
 * - metrics: EMF lines on stdout in Lambda, in-memory counters behind `GET /metrics` locally;
 * - notifications, with approval links signed by `ROLLOUT_LINK_SECRET` (generated locally when unset);
 * - live updates for the dashboard (local only: in Lambda the changes happen in other functions).
 */
import type { Logger } from './logger';
import type { Orchestrator } from '../orchestration/orchestrator';
import type { AppConfig } from '../config/types';
import { LiveUpdates } from '../http/dashboard/live-updates';
import type { OperatorDeps } from '../http/dashboard/routes';
import { ApprovalLinks } from '../notifications/approval-links';
import { LINK_SECRET_ENV, linkSecretFromEnv, resolveLocalLinkSecret } from '../notifications/link-secret';
import { Notifier } from '../notifications/notifier';
import type { Secret } from '../config/secret';
import type { RolloutStore } from '../ports';
import { emfMetricsListener } from './emf';
import { MetricsRegistry } from './metrics-registry';
import { rolloutEventLogger } from './rollout-log';

export const PUBLIC_URL_ENV = 'ROLLOUT_PUBLIC_URL';

export interface OperatorWiringOptions {
  readonly mode: 'local' | 'lambda';
  readonly orchestrator: Pick<Orchestrator, 'subscribe'>;
  /** The orchestrator's store: its delivery claims make approval links single-use, and a Slack click act once. */
  readonly store: Pick<RolloutStore, 'claimDelivery' | 'deliveryOwner'>;
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Default process.env: ROLLOUT_LINK_SECRET, ROLLOUT_PUBLIC_URL. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Local mode: this server's URL once it listens (ROLLOUT_PUBLIC_URL wins). */
  readonly publicUrl?: () => string | null;
  /** Local mode: keeps a generated link secret across restarts. */
  readonly dataDir?: string;
  /** Overrides the environment's: tests, and Lambda, where it is a secret of the stack read at each use. */
  readonly linkSecret?: string | Secret;
  /**
   * Whether this runtime signs or redeems approval links. Default true. False for a Lambda function that
   * never reaches an approval wait nor serves the links, which is given no link secret: none is missing.
   */
  readonly handlesApprovalLinks?: boolean;
  /** Dashboard heartbeat; default 15 s. */
  readonly heartbeatMs?: number;
  /** Per notification attempt; default 5 s. */
  readonly notifyTimeoutMs?: number;
  /** EMF output (Lambda); default stdout. */
  readonly writeMetrics?: (line: string) => void;
}

export interface OperatorFeatures {
  /** Spread into createApp's deps. */
  readonly appDeps: OperatorDeps;
  readonly notifier: Notifier;
  readonly metrics: MetricsRegistry | null;
  readonly live: LiveUpdates | null;
  /** Ends live streams and waits for notifications still being sent. */
  stop(): Promise<void>;
}

export function wireOperatorFeatures(options: OperatorWiringOptions): OperatorFeatures {
  const env = options.env ?? process.env;
  const local = options.mode === 'local';
  const { orchestrator, logger, config } = options;
  const publicUrl = () => env[PUBLIC_URL_ENV] || options.publicUrl?.() || null;

  const secret = options.linkSecret ?? (local ? resolveLocalLinkSecret(env, options.dataDir) : linkSecretFromEnv(env));
  const approvalLinks = secret ? new ApprovalLinks({ secret, store: options.store, publicUrl }) : null;
  const notifier = new Notifier({
    config,
    links: approvalLinks,
    publicUrl,
    logger,
    background: local,
    // In Lambda the orchestrator waits for the sends: one bounded attempt, so a receiver's outage costs at most 3 s.
    ...(local ? { attempts: 2, timeoutMs: options.notifyTimeoutMs ?? 5000 } : { attempts: 1, timeoutMs: options.notifyTimeoutMs ?? 3000 }),
  });
  // Local mode knows its URL once it listens; in Lambda a missing URL or secret is a deployment mistake.
  const missing = !approvalLinks ? LINK_SECRET_ENV : !local && !publicUrl() ? PUBLIC_URL_ENV : null;
  if (notifier.active && missing && options.handlesApprovalLinks !== false) logger.warn('approval requests will carry no approve/abort links', { missing });

  const metrics = local ? new MetricsRegistry() : null;
  const live = local ? new LiveUpdates(orchestrator, options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) : null;

  orchestrator.subscribe(rolloutEventLogger(logger));
  // LOG_LEVEL=silent (the test suites) keeps stdout quiet, metric lines included.
  const quiet = env.LOG_LEVEL?.toLowerCase() === 'silent' ? () => undefined : undefined;
  orchestrator.subscribe(metrics ? metrics.listener : emfMetricsListener(options.writeMetrics ?? quiet));
  if (notifier.active) orchestrator.subscribe(notifier.listener);

  return {
    appDeps: { approvalLinks, interactionClaims: options.store, ...(metrics ? { metrics } : {}), ...(live ? { live } : {}) },
    notifier,
    metrics,
    live,
    async stop() {
      live?.close();
      await notifier.drain();
    },
  };
}
