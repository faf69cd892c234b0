/**
 * Slack, as far as the orchestrator meets it, for tests and the demo: it receives the approval messages
 * (an incoming webhook) and every answer to a click (`response_url`), and builds clicks the way Slack
 * does: a `block_actions` payload (the fields Slack's interactivity documentation shows), form-encoded
 * as `payload=<JSON>` and signed with the app's signing secret. Nothing reaches Slack. Local mode's
 * stand-ins are written from the other side's documentation, not from our code: this one from Slack's.
 */
import { randomBytes } from 'node:crypto';
import { signSlackRequest } from '../shared/notifications/slack-signature';
import { serveWire } from './sdk/loopback-server';

/** One request Slack received: an incoming-webhook message or an answer to a click. */
export interface SlackReceived {
  readonly path: string;
  readonly raw: string;
  readonly json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- a test and demo reads any field of what Slack received
}

export interface Click {
  readonly team: string;
  readonly user: string;
  readonly actionId: string;
  readonly value: string | undefined;
}

export interface SignedRequest {
  readonly body: string;
  readonly headers: Record<string, string>;
  /** The response_url this click carries. */
  readonly responseUrl: string;
}

export interface SlackStandIn {
  readonly url: string;
  /** Everything posted to Slack, in order. */
  readonly received: SlackReceived[];
  /** An incoming webhook URL to put in `notify: [{ slack: … }]`. */
  readonly webhookUrl: string;
  /** Where clicks' `response_url`s point: the prefix the orchestrator must accept. */
  readonly responsePrefix: string;
  /** The last message an incoming webhook received that mentions `text`. */
  message(text: string): SlackReceived | undefined;
  /** A click as Slack would post it, signed with `secret` at `timestamp` (Unix seconds, default now). */
  click(click: Click, secret: string, timestamp?: number): SignedRequest;
  /** What was posted to a click's response_url. */
  responses(url: string): unknown[];
  close(): Promise<void>;
}

export async function startSlackStandIn(host = '127.0.0.1'): Promise<SlackStandIn> {
  const received: SlackReceived[] = [];
  const server = await serveWire(
    (request) => {
      let json: unknown = null;
      try {
        json = JSON.parse(request.body);
      } catch {
        /* keep raw */
      }
      received.push({ path: request.path, raw: request.body, json });
      // Slack answers `ok` to both.
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
    },
    { host },
  );
  const url = server.endpoint;
  const responsePrefix = `${url}/actions/`;
  return {
    url,
    received,
    webhookUrl: `${url}/services/T0DEMO/B0DEMO/${randomBytes(12).toString('base64url')}`,
    responsePrefix,
    message: (text) => received.findLast((r) => r.path.startsWith('/services/') && r.raw.includes(text)),
    click(click, secret, timestamp = Math.floor(Date.now() / 1000)) {
      const responseUrl = `${responsePrefix}${click.team}/${randomBytes(6).readUIntBE(0, 6)}/${randomBytes(12).toString('base64url')}`;
      const payload = {
        type: 'block_actions',
        user: { id: click.user, username: click.user.toLowerCase(), name: click.user.toLowerCase(), team_id: click.team },
        api_app_id: 'A0KRD7HC3',
        token: 'Shh_its_a_seekrit',
        container: { type: 'message', message_ts: '1548261231.000200', channel_id: 'C0DEPLOYS', is_ephemeral: false },
        trigger_id: `${Date.now()}.${randomBytes(4).readUInt32BE(0)}.${randomBytes(16).toString('hex')}`,
        team: { id: click.team, domain: 'example' },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: 'C0DEPLOYS', name: 'deploys' },
        message: { type: 'message', text: 'approval request', ts: '1548261231.000200' },
        state: { values: {} },
        response_url: responseUrl,
        actions: [
          {
            action_id: click.actionId,
            block_id: 'rollout.decision',
            text: { type: 'plain_text', text: 'Approve', emoji: true },
            ...(click.value === undefined ? {} : { value: click.value }),
            style: 'primary',
            type: 'button',
            action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
          },
        ],
      };
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const headers = {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signSlackRequest(secret, String(timestamp), body),
      };
      return { body, headers, responseUrl };
    },
    responses: (responseUrl) => received.filter((r) => `${url}${r.path}` === responseUrl).map((r) => r.json),
    close: () => server.close(),
  };
}
