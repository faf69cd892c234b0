/**
 * Request shapes from the ECS API model, as the SDK ships it: `@aws-sdk/client-ecs` carries the model
 * as static Smithy schemas (`RegisterTaskDefinitionRequest$` and the shapes it refers to). Requests are
 * checked against them, not against a list of what the adapter happens to send: a member the model does
 * not have is refused, a required member missing is refused, at any depth of the request.
 *
 * Schema layout (@smithy/types `StaticSchema`): a number for a simple type or a list/map of one
 * (`64 | t`, `128 | t`); `[1, ns, name, traits, member]` a list; `[2, ns, name, traits, key, value]` a
 * map; `[3, ns, name, traits, memberNames, memberSchemas, requiredCount?]` a structure, whose first
 * `requiredCount` members are the required ones; `[4, …]` a union. A member schema may be a thunk
 * (`() => schema`) or `[schema, memberTraits]`.
 */
import { RegisterTaskDefinitionRequest$ } from '@aws-sdk/client-ecs';
import { isPlainObject } from '../../shared/plain-object';
import { invalidParameter } from './errors';

type SchemaRef = unknown;

/** A structure's members, in the model's order, and which of them are required. */
export interface StructureShape {
  readonly name: string;
  readonly members: readonly string[];
  readonly required: readonly string[];
}

/** The schema a member reference points at (thunks called, member traits dropped). */
function deref(ref: SchemaRef): SchemaRef {
  let schema = ref;
  for (;;) {
    if (typeof schema === 'function') schema = (schema as () => SchemaRef)();
    else if (Array.isArray(schema) && schema.length === 2 && typeof schema[0] !== 'number') schema = schema[0];
    else return schema;
  }
}

const isStructure = (schema: SchemaRef): schema is [3 | 4, string, string, unknown, string[], SchemaRef[], number?] =>
  Array.isArray(schema) && (schema[0] === 3 || schema[0] === 4) && Array.isArray(schema[4]);

/** The members of a structure (or union) schema. */
export function structureShape(ref: SchemaRef): StructureShape {
  const schema = deref(ref);
  if (!isStructure(schema)) throw new Error('not a structure schema');
  const [kind, , name, , members, , requiredCount] = schema;
  return { name, members: [...members], required: kind === 3 ? members.slice(0, requiredCount ?? 0) : [] };
}

/** RegisterTaskDefinition's request members, from the SDK's model. */
export const REGISTER_TASK_DEFINITION_REQUEST: StructureShape = structureShape(RegisterTaskDefinitionRequest$);

const absent = (value: unknown) => value === undefined || value === null;

/**
 * Checks `value` against the schema: unknown members and missing required members are refused with
 * InvalidParameterException (the model's error for a request that does not fit its parameters).
 * Types of simple members are left to the operations (they check the ones they use).
 */
function check(ref: SchemaRef, value: unknown, path: string): void {
  if (absent(value)) return;
  const schema = deref(ref);
  if (typeof schema === 'number') {
    // 64 | t: a list of simple t; 128 | t: a map of them. Their items are not looked into.
    if (schema & 64 && !Array.isArray(value)) throw invalidParameter(`${path} must be a list.`);
    if (schema & 128 && !isPlainObject(value)) throw invalidParameter(`${path} must be a map.`);
    return;
  }
  if (!Array.isArray(schema)) return;
  switch (schema[0]) {
    case 1: {
      if (!Array.isArray(value)) throw invalidParameter(`${path} must be a list.`);
      value.forEach((item, i) => check(schema[4], item, `${path}[${i}]`));
      return;
    }
    case 2: {
      if (!isPlainObject(value)) throw invalidParameter(`${path} must be a map.`);
      for (const [key, item] of Object.entries(value)) check(schema[5], item, `${path}.${key}`);
      return;
    }
    case 3:
    case 4: {
      if (!isPlainObject(value)) throw invalidParameter(`${path} must be a structure.`);
      checkStructure(schema, value, path);
      return;
    }
    default:
      return;
  }
}

function checkStructure(ref: SchemaRef, value: Record<string, unknown>, path: string): void {
  const schema = deref(ref) as [number, string, string, unknown, string[], SchemaRef[], number?];
  const shape = structureShape(schema);
  const at = (member: string) => (path ? `${path}.${member}` : member);
  const unknown = Object.keys(value).filter((key) => !shape.members.includes(key));
  if (unknown.length > 0) {
    throw invalidParameter(`Unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map(at).join(', ')} in ${shape.name}: must be one of ${shape.members.join(', ')}.`);
  }
  for (const member of shape.required) if (absent(value[member])) throw invalidParameter(`${at(member)} must be specified.`);
  shape.members.forEach((member, i) => check(schema[5][i], value[member], at(member)));
}

/** Refuses a RegisterTaskDefinition request that does not fit the model's request shape. */
export function checkRegisterTaskDefinitionRequest(input: Readonly<Record<string, unknown>>): void {
  checkStructure(RegisterTaskDefinitionRequest$, input, '');
}
