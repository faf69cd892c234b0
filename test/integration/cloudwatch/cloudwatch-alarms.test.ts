/** The CloudWatch adapter through the real CloudWatchClient against a DescribeAlarms stub on the AWS JSON 1.0 wire. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchAlarms } from '../../../shared/adapters/cloudwatch/cloudwatch-alarms';

let server: Server;
let client: CloudWatchClient;
const requests: any[] = [];
const STATES: Record<string, string> = { 'web-5xx': 'ALARM', 'web-p99': 'OK', 'web-composite': 'INSUFFICIENT_DATA' };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      requests.push({ target: req.headers['x-amz-target'], body });
      const names: string[] = body.AlarmNames ?? [];
      // One metric alarm per page, to exercise NextToken.
      const start = body.NextToken ? Number(body.NextToken) : 0;
      const known = names.filter((n) => n in STATES);
      const page = known.slice(start, start + 1);
      const metric = page.filter((n) => !n.includes('composite')).map((n) => ({ AlarmName: n, StateValue: STATES[n] }));
      const composite = page.filter((n) => n.includes('composite')).map((n) => ({ AlarmName: n, StateValue: STATES[n] }));
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(
        JSON.stringify({ MetricAlarms: metric, CompositeAlarms: composite, ...(start + 1 < known.length ? { NextToken: String(start + 1) } : {}) }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new CloudWatchClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('CloudWatchAlarms', () => {
  it('reads metric and composite alarm states across pages, leaving unknown alarms out', async () => {
    const states = await new CloudWatchAlarms({ client }).states(['web-5xx', 'web-p99', 'web-composite', 'gone']);
    expect(states).toEqual({ 'web-5xx': 'ALARM', 'web-p99': 'OK', 'web-composite': 'INSUFFICIENT_DATA' });
    expect(requests[0].target).toBe('GraniteServiceVersion20100801.DescribeAlarms');
    expect(requests[0].body).toMatchObject({ AlarmNames: ['web-5xx', 'web-p99', 'web-composite', 'gone'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(requests).toHaveLength(3);
  });

  it('asks in batches of 100 names', async () => {
    requests.length = 0;
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    await new CloudWatchAlarms({ client }).states(names);
    expect(requests.map((r) => r.body.AlarmNames.length)).toEqual([100, 50]);
  });
});
