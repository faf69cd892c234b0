/**
 * Request members of the operations served, with the constraints of the Step Functions API model
 * (botocore `stepfunctions/2016-11-23/service-2.json`, the same in `@aws-sdk/client-sfn` 3.1164):
 * required members, string lengths, integer ranges, enums. As AWS answers them: a constraint broken is a
 * `ValidationException` ("1 validation error detected: Value … at 'member' failed to satisfy constraint: …");
 * a member of the wrong JSON type cannot be deserialized and is a `SerializationException`.
 */
import { SfnApiError } from './errors';

type Member =
  | { readonly type: 'string'; readonly min?: number; readonly max?: number; readonly enum?: readonly string[] }
  | { readonly type: 'integer'; readonly min: number; readonly max: number }
  | { readonly type: 'boolean' };

interface OperationShape {
  readonly required: readonly string[];
  readonly members: Readonly<Record<string, Member>>;
}

const arn: Member = { type: 'string', min: 1, max: 256 }; // shape Arn
const longArn: Member = { type: 'string', min: 1, max: 2000 }; // shape LongArn
const pageSize: Member = { type: 'integer', min: 0, max: 1000 }; // shape PageSize
const pageToken: Member = { type: 'string', min: 1, max: 1024 }; // shape PageToken
const taskToken: Member = { type: 'string', min: 1, max: 1024 }; // shape TaskToken
const sensitiveData: Member = { type: 'string', max: 262144 }; // shape SensitiveData (input/output)
const sensitiveError: Member = { type: 'string', min: 0, max: 256 };
const sensitiveCause: Member = { type: 'string', min: 0, max: 32768 };

/** ExecutionStatus in the SDK's model (botocore 1.29 predates PENDING_REDRIVE). */
export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;

export const OPERATIONS: Readonly<Record<string, OperationShape>> = {
  StartExecution: {
    required: ['stateMachineArn'],
    members: { stateMachineArn: arn, name: { type: 'string', min: 1, max: 80 }, input: sensitiveData, traceHeader: { type: 'string', min: 0, max: 256 } },
  },
  DescribeExecution: { required: ['executionArn'], members: { executionArn: arn, includedData: { type: 'string', enum: ['ALL_DATA', 'METADATA_ONLY'] } } },
  StopExecution: { required: ['executionArn'], members: { executionArn: arn, error: sensitiveError, cause: sensitiveCause } },
  ListStateMachines: { required: [], members: { maxResults: pageSize, nextToken: pageToken } },
  DescribeStateMachine: { required: ['stateMachineArn'], members: { stateMachineArn: arn, includedData: { type: 'string', enum: ['ALL_DATA', 'METADATA_ONLY'] } } },
  ListExecutions: {
    required: [],
    members: { stateMachineArn: arn, statusFilter: { type: 'string', enum: EXECUTION_STATUSES }, maxResults: pageSize, nextToken: pageToken, mapRunArn: longArn, redriveFilter: { type: 'string', enum: ['REDRIVEN', 'NOT_REDRIVEN'] } },
  },
  GetExecutionHistory: {
    required: ['executionArn'],
    members: { executionArn: arn, maxResults: pageSize, reverseOrder: { type: 'boolean' }, nextToken: pageToken, includeExecutionData: { type: 'boolean' } },
  },
  SendTaskSuccess: { required: ['taskToken', 'output'], members: { taskToken, output: sensitiveData } },
  SendTaskFailure: { required: ['taskToken'], members: { taskToken, error: sensitiveError, cause: sensitiveCause } },
  SendTaskHeartbeat: { required: ['taskToken'], members: { taskToken } },
};

const constraint = (member: string, value: unknown, what: string) =>
  `Value ${value === null || value === undefined ? 'null' : `'${String(value).slice(0, 100)}'`} at '${member}' failed to satisfy constraint: ${what}`;

/** Throws as AWS would for a request that does not fit the operation's input shape. */
export function validateRequest(operation: string, body: Record<string, unknown>): void {
  const shape = OPERATIONS[operation];
  if (!shape) return;
  const problems: string[] = [];
  for (const name of shape.required) {
    if (body[name] === undefined || body[name] === null) problems.push(constraint(name, null, 'Member must not be null'));
  }
  for (const [name, value] of Object.entries(body)) {
    const member = shape.members[name];
    if (member === undefined || value === null || value === undefined) continue; // unknown members are ignored, as by AWS
    if (member.type === 'string') {
      if (typeof value !== 'string') throw new SfnApiError('SerializationException', `Unexpected value type for '${name}': expected a string`);
      if (member.min !== undefined && value.length < member.min) problems.push(constraint(name, value, `Member must have length greater than or equal to ${member.min}`));
      if (member.max !== undefined && value.length > member.max) problems.push(constraint(name, value, `Member must have length less than or equal to ${member.max}`));
      if (member.enum && !member.enum.includes(value)) problems.push(constraint(name, value, `Member must satisfy enum value set: [${member.enum.join(', ')}]`));
    } else if (member.type === 'integer') {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new SfnApiError('SerializationException', `Unexpected value type for '${name}': expected an integer`);
      if (value < member.min) problems.push(constraint(name, value, `Member must have value greater than or equal to ${member.min}`));
      if (value > member.max) problems.push(constraint(name, value, `Member must have value less than or equal to ${member.max}`));
    } else if (typeof value !== 'boolean') {
      throw new SfnApiError('SerializationException', `Unexpected value type for '${name}': expected a boolean`);
    }
  }
  if (problems.length > 0) {
    throw new SfnApiError('ValidationException', `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
  }
}

/**
 * Execution names (model, shape Name, and the StartExecution doc): 1–80 characters, none of white space,
 * `< > { } [ ]`, `? *`, `" # % \ ^ | ~ \` $ & , ; : /`, or control characters U+0000–001F and U+007F–009F.
 * Breaking these is `InvalidName` (the length is a `ValidationException`, checked by the model above).
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;
export const isValidName = (name: string): boolean => !FORBIDDEN_IN_NAME.test(name);
