/** Local mode only: the emulated CloudWatch alarms. */
import { Hono } from 'hono';
import { NotFoundError, ValidationError } from '../errors';
import type { AppDeps } from './deps';
import { readJson } from './json-body';
import { LIMITS, textProblem } from './limits';

export function localRoutes(deps: AppDeps) {
  const routes = new Hono();
  const alarms = () => {
    if (!deps.localAlarms) throw new NotFoundError('emulated alarms exist only in local mode');
    return deps.localAlarms;
  };

  routes.put('/alarms/:name', async (c) => {
    const control = alarms();
    const name = c.req.param('name');
    const problem = name === '' ? 'is required' : textProblem(name, LIMITS.alarmName);
    if (problem) throw new ValidationError(`invalid alarm name: ${problem}`, [`name: ${problem}`]);
    // The validators (zod) load with the first request that needs them.
    const [{ localAlarmBody }, { parseOrThrow }] = await Promise.all([import('./schemas'), import('./validation')]);
    const body = parseOrThrow(localAlarmBody, await readJson(c), 'alarm state');
    const { rolledBack } = await control.set(name, body.state, body.reason ?? null);
    return c.json({ name, state: body.state, rolledBack });
  });

  routes.get('/alarms', async (c) => c.json(await alarms().list()));

  // The stand-ins on AWS wire endpoints: the AWS CLI and SDKs work against them (any credentials, us-east-1).
  routes.get('/endpoints', (c) => {
    if (!deps.localEndpoints) throw new NotFoundError('local AWS endpoints exist only in local mode');
    return c.json(deps.localEndpoints);
  });

  return routes;
}
