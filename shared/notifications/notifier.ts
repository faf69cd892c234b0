/**
 * Sends each service's notifications (config `notify:`) when a rollout enters PAUSED (an approval request,
 * with approve/abort links, or Slack buttons when the config has a Slack app), SUCCEEDED, ROLLED_BACK, REJECTED or FAILED. It is an orchestrator listener.
 *
 * A notification never fails or holds up a rollout: every send has a timeout, failures are logged and
 * dropped. In local mode sends run in the background; in Lambda the listener waits for them (bounded by
 * the timeout), because Lambda freezes the process as soon as the handler answers.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger';
import { silentLogger } from '../observability/logger';
import type { RolloutListener } from '../orchestration/orchestrator';
import { type NotifyTarget, notifyUrlProblem } from '../config/notify-targets';
import type { AppConfig } from '../config/types';
import type { Rollout } from '../core/rollout';
import { scrubbing, withFields } from '../observability/loggers';
import type { ApprovalLinks } from './approval-links';
import { NOTICE_TYPES, announcedStatus } from './announced-status';
import type { Notice } from './messages';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from './signing';

export interface NotifierOptions {
  readonly config: AppConfig;
  /** Signs approve/abort links; null: approval requests go out without links. */
  readonly links: ApprovalLinks | null;
  /** Base URL of the API and dashboard, for links in messages; null when unknown. */
  readonly publicUrl: () => string | null;
  readonly logger?: Logger;
  /** Per attempt. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Attempts per notification (network errors, 429 and 5xx are retried). Default 2. */
  readonly attempts?: number;
  /** Send without making the orchestrator wait (local mode). Default false (Lambda). */
  readonly background?: boolean;
  readonly fetch?: typeof fetch;
  readonly clock?: () => Date;
}

interface Request {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

export class Notifier {
  private readonly log: Logger;
  private readonly pending = new Set<Promise<void>>();
  /** Secret values read so far, scrubbed from every log line. */
  private readonly revealed = new Set<string>();
  private readonly fetch: typeof fetch;
  private readonly clock: () => Date;

  constructor(private readonly options: NotifierOptions) {
    // Secrets are redacted by value: a Slack URL is a credential and errors may quote it.
    this.log = scrubbing(options.logger ?? silentLogger, () => this.secrets());
    this.fetch = options.fetch ?? fetch;
    this.clock = options.clock ?? (() => new Date());
  }

  /** True when some service has somewhere to send to. */
  get active(): boolean {
    return Object.values(this.options.config.services).some((s) => (s.notify ?? []).length > 0);
  }

  readonly listener: RolloutListener = (rollout, previous) => {
    const sending = this.notify(rollout, previous);
    if (!this.options.background) return sending;
    this.pending.add(sending);
    void sending.finally(() => this.pending.delete(sending));
  };

  /** Sends what this change calls for, to every target of the service that wants it. Never throws. */
  async notify(rollout: Rollout, previous: Rollout): Promise<void> {
    const status = announcedStatus(rollout, previous);
    const targets = status ? (this.options.config.services[rollout.service]?.notify ?? []) : [];
    const wanted = targets.filter((t) => status && t.on.includes(status));
    await Promise.all(
      wanted.map(async (target) => {
        const log = withFields(this.log, { rolloutId: rollout.id, service: rollout.service, target: target.name, event: NOTICE_TYPES[status!] });
        try {
          const base = this.options.publicUrl()?.replace(/\/+$/, '') ?? null;
          // With a Slack app (config `slack:`), a Slack message carries buttons that act as the person who
          // clicks; links, which prove only that someone holds them, stay for the other channels.
          const interactive = target.kind === 'slack' && this.options.config.slack !== undefined;
          const links = status === 'PAUSED' && this.options.links && !interactive ? await this.options.links.issue(rollout, target) : null;
          const notice: Notice = { status: status!, rollout, previousStatus: previous.status, links, dashboardUrl: base ? `${base}/` : null, interactive };
          await this.deliver(await this.request(target, notice), log);
        } catch (e) {
          // A secret that cannot be read (SecretUnavailableError) lands here too: logged, never the rollout's problem.
          log.warn('notification failed', { error: e });
        }
      }),
    );
  }

  /** Waits for background sends (local mode's stop, tests). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async request(target: NotifyTarget, notice: Notice): Promise<Request> {
    const headers = { 'content-type': 'application/json', 'user-agent': 'ecs-rollout-orchestrator' };
    // The messages load with the first notification to send, not at a function's start.
    const { slackMessage, webhookBody } = await import('./messages');
    if (target.kind === 'slack') {
      const url = this.keep(await target.webhookUrl.value());
      // The URL is a secret, read now: checked here rather than with the file, and never quoted.
      const problem = notifyUrlProblem(url);
      if (problem) throw new Error(`${target.webhookUrlEnv} ${problem}`);
      return { url, body: JSON.stringify(slackMessage(notice)), headers };
    }
    const secret = this.keep(await target.secret.value());
    const timestamp = Math.floor(this.clock().getTime() / 1000);
    const id = randomUUID();
    const body = JSON.stringify(webhookBody(notice, { id, timestamp }));
    return {
      url: target.url,
      body,
      headers: {
        ...headers,
        [SIGNATURE_HEADER]: signBody(secret, body),
        [TIMESTAMP_HEADER]: String(timestamp),
        [EVENT_HEADER]: NOTICE_TYPES[notice.status],
        [DELIVERY_HEADER]: id,
      },
    };
  }

  private async deliver(request: Request, log: Logger): Promise<void> {
    const attempts = Math.max(1, this.options.attempts ?? 2);
    let failure: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await this.fetch(request.url, {
          method: 'POST',
          headers: request.headers,
          body: request.body,
          // A redirect could carry the signed body somewhere else: a receiver that moved must be reconfigured.
          redirect: 'error',
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) {
          log.info('notification sent', { status: res.status, attempt });
          return;
        }
        failure = `the receiver answered HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) break; // the receiver refuses this message: sending it again will not help
      } catch (e) {
        failure = e;
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, 250 * attempt));
    }
    log.warn('notification failed', { error: failure, attempts });
  }

  private keep(value: string): string {
    this.revealed.add(value);
    return value;
  }

  /** Every secret value the notifier has read, for log scrubbing. */
  private secrets(): string[] {
    return [...this.revealed];
  }
}
