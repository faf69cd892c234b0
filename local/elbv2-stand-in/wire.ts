/**
 * The AWS Query framing of Elastic Load Balancing v2: `POST /` with a form-encoded body
 * (`Action=ModifyRule&Version=2015-12-01&RuleArn=…`), answered with
 * `<ModifyRuleResponse><ModifyRuleResult>…</ModifyRuleResult><ResponseMetadata>…` in the service's XML
 * namespace, errors as `<ErrorResponse><Error><Type>Sender</Type><Code>RuleNotFound</Code>…`, the code
 * the SDK maps to its exception class.
 */
import { randomUUID } from 'node:crypto';
import * as model from '@aws-sdk/client-elastic-load-balancing-v2';
import { ElbApiError } from './errors';
import { QueryParameters, decodeRequest, encodeXml, escapeXml } from './query-schema';
import type { ElbV2StandIn } from './stand-in';

export const ELBV2_VERSION = '2015-12-01';
const NAMESPACE = `http://elasticloadbalancing.amazonaws.com/doc/${ELBV2_VERSION}/`;

export interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The model's input and output schemas of an operation (`ModifyRuleInput$`, `ModifyRuleOutput$`). */
export const operationSchemas = (operation: string): { readonly input: unknown; readonly output: unknown } | null => {
  const schemas = model as unknown as Record<string, unknown>;
  const input = schemas[`${operation}Input$`];
  const output = schemas[`${operation}Output$`];
  return input && output ? { input, output } : null;
};

const xml = (status: number, requestId: string, body: string): WireResponse => ({
  status,
  headers: { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(body)), 'x-amzn-requestid': requestId },
  body,
});

const errorResponse = (error: ElbApiError, requestId: string): WireResponse =>
  xml(
    error.status,
    requestId,
    `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  );

/** Answers one HTTP exchange; never throws. */
export function handleQuery(standIn: ElbV2StandIn, request: WireRequest): WireResponse {
  const requestId = randomUUID();
  try {
    if (request.method !== 'POST' || request.path.split('?')[0] !== '/') {
      throw new ElbApiError('InvalidAction', 'Only POST / is served.', 404);
    }
    if (!request.contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      throw new ElbApiError('InvalidAction', 'The request must be application/x-www-form-urlencoded.');
    }
    const params = new QueryParameters(request.body);
    const action = params.get('Action');
    const version = params.get('Version');
    if (!action) throw new ElbApiError('MissingAction', 'The request must contain the parameter Action.');
    if (version !== ELBV2_VERSION) throw new ElbApiError('InvalidAction', `Version must be ${ELBV2_VERSION}, got ${version ?? '(none)'}.`);
    const schemas = standIn.operationNames.includes(action) ? operationSchemas(action) : null;
    if (!schemas) throw new ElbApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
    const input = decodeRequest(schemas.input, params);
    const output = standIn.invoke(action, input);
    const result = encodeXml(schemas.output, output, `${action}Result`);
    return xml(
      200,
      requestId,
      `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="${NAMESPACE}">${result}` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
    );
  } catch (error) {
    if (error instanceof ElbApiError) return errorResponse(error, requestId);
    const message = error instanceof Error ? error.message : String(error);
    return errorResponse(new ElbApiError('InternalFailure', `Stand-in failure: ${message}`, 500), requestId);
  }
}
