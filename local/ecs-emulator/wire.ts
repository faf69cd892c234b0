/**
 * AWS JSON 1.1 framing: `POST /` with `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`
 * and a JSON body in; JSON out, errors as `{"__type","message"}` plus the `x-amzn-ErrorType` header.
 * The SDK reads the error code from `__type` first (then `code`, then the header) and drops any
 * `namespace#` prefix or `:suffix`, so the bare type name maps straight to its exception class.
 */
import { randomUUID } from 'node:crypto';
import type { EcsEmulator } from './emulator';
import { EcsApiError } from './errors';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
export const AMZ_JSON_1_1 = 'application/x-amz-json-1.1';

export interface WireRequest {
  readonly method: string;
  readonly path: string;
  /** The `X-Amz-Target` header. */
  readonly target: string | undefined;
  readonly body: string;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const respond = (status: number, payload: unknown, extra: Record<string, string> = {}): WireResponse => {
  const body = JSON.stringify(payload);
  return {
    status,
    headers: {
      'content-type': AMZ_JSON_1_1,
      'content-length': String(Buffer.byteLength(body)),
      'x-amzn-requestid': randomUUID(),
      ...extra,
    },
    body,
  };
};

const errorResponse = (error: EcsApiError): WireResponse =>
  respond(error.status, { __type: error.type, message: error.message }, { 'x-amzn-errortype': error.type });

/** Answers one HTTP exchange; never throws. */
export const handleWire = (emulator: EcsEmulator, request: WireRequest): WireResponse => {
  if (request.method !== 'POST' || request.path.split('?')[0] !== '/') {
    return errorResponse(new EcsApiError('UnknownOperationException', 'Only POST / is served.', 404));
  }
  const target = request.target ?? '';
  if (!target.startsWith(ECS_TARGET_PREFIX)) {
    return errorResponse(new EcsApiError('UnknownOperationException', `Unknown X-Amz-Target: ${target || '(none)'}.`));
  }
  let input: unknown;
  try {
    input = request.body.trim() === '' ? {} : JSON.parse(request.body);
  } catch {
    return errorResponse(new EcsApiError('SerializationException', 'The request body is not valid JSON.'));
  }
  try {
    return respond(200, emulator.invoke(target.slice(ECS_TARGET_PREFIX.length), input) ?? {});
  } catch (error) {
    if (error instanceof EcsApiError) return errorResponse(error);
    const message = error instanceof Error ? error.message : String(error);
    return errorResponse(new EcsApiError('ServerException', `Emulator failure: ${message}`, 500));
  }
};
