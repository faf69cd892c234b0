/** Documentation of local mode's emulated alarms (local-routes.ts). */
import { alarmChangeSchema, alarmListSchema, localEndpointsSchema } from '../response-schemas';
import { localAlarmBody } from '../schemas';
import { type RouteDoc, documentRoutes } from './route-docs';

const LOCAL_ONLY = 'not in local mode: emulated alarms exist only there';
const OPERATOR_403 = 'the credential has the viewer role: local controls need the operator role';

export const LOCAL_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: 'put',
    path: '/local/alarms/{name}',
    operationId: 'setLocalAlarm',
    summary: 'Set an emulated alarm (local mode)',
    description:
      'Acts like an EventBridge alarm state change: going to `ALARM` rolls back, before the answer, every active rollout that watches the alarm.',
    tags: ['local'],
    security: 'apiToken',
    params: { name: 'the alarm name, at most 255 characters' },
    body: { schema: localAlarmBody },
    responses: { 200: { description: 'the state set, and the rollouts it rolled back', schema: alarmChangeSchema } },
    problems: { 400: 'an invalid state, or a name over 255 characters', 403: OPERATOR_403, 404: LOCAL_ONLY },
  },
  {
    method: 'get',
    path: '/local/alarms',
    operationId: 'listLocalAlarms',
    summary: 'The emulated alarms and their states (local mode)',
    tags: ['local'],
    security: 'apiToken',
    responses: { 200: { description: 'each alarm set so far, by name', schema: alarmListSchema } },
    problems: { 403: OPERATOR_403, 404: LOCAL_ONLY },
  },
  {
    method: 'get',
    path: '/local/endpoints',
    operationId: 'listLocalEndpoints',
    summary: "Local mode's AWS wire endpoints",
    description:
      'The local stand-ins, keyed by the AWS CLI\'s service names (`dynamodb`, `ecs`, `stepfunctions`, `cloudwatch`, `elbv2`), each a URL: point the AWS CLI or an SDK at one (`--endpoint-url`, any credentials, region `us-east-1`).',
    tags: ['local'],
    security: 'apiToken',
    responses: { 200: { description: 'each stand-in by AWS CLI service name', schema: localEndpointsSchema } },
    problems: { 403: OPERATOR_403, 404: 'not in local mode: the stand-ins exist only there' },
  },
];

documentRoutes(LOCAL_ROUTE_DOCS);
