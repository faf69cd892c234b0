/**
 * The AWS Query protocol read and written from the Elastic Load Balancing v2 model, as
 * `@aws-sdk/client-elastic-load-balancing-v2` ships it (static Smithy schemas, `ModifyRuleInput$`…).
 * A request is decoded member by member from its form parameters (`Actions.member.1.ForwardConfig.
 * TargetGroups.member.2.Weight=20`): a parameter the model does not have, a value of the wrong type or
 * a required member missing is refused with `ValidationError`, at any depth. Answers are written as the
 * model's XML (lists as `<member>` items, timestamps in ISO 8601).
 *
 * Schema layout (as in `local/ecs-emulator/request-shapes.ts`): a number for a simple type (0 string,
 * 1 number, 2 boolean, 4–7 timestamps; `64 | t` a list of t, `128 | t` a map of t); `[1, ns, name,
 * traits, member]` a list; `[2, ns, name, traits, key, value]` a map; `[3, ns, name, traits,
 * memberNames, memberSchemas, requiredCount?]` a structure whose first `requiredCount` members are
 * required. A reference may be a thunk, or `[schema, memberTraits]`.
 */
import { ElbApiError } from './errors';

type SchemaRef = unknown;

export interface StructureShape {
  readonly name: string;
  readonly members: readonly string[];
  readonly required: readonly string[];
}

const deref = (ref: SchemaRef): SchemaRef => {
  let schema = ref;
  for (;;) {
    if (typeof schema === 'function') schema = (schema as () => SchemaRef)();
    else if (Array.isArray(schema) && schema.length === 2 && typeof schema[0] !== 'number') schema = schema[0];
    else return schema;
  }
};

type Structure = [3, string, string, unknown, string[], SchemaRef[], number?];

const isStructure = (schema: SchemaRef): schema is Structure =>
  Array.isArray(schema) && schema[0] === 3 && Array.isArray(schema[4]);

export function structureShape(ref: SchemaRef): StructureShape {
  const schema = deref(ref);
  if (!isStructure(schema)) throw new Error('not a structure schema');
  const [, , name, , members, , requiredCount] = schema;
  return { name, members: [...members], required: members.slice(0, requiredCount ?? 0) };
}

const invalid = (message: string) => new ElbApiError('ValidationError', message);

/** The form parameters of one request, each consumed once by the decoder. */
export class QueryParameters {
  private readonly values = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(body: string) {
    for (const [key, value] of new URLSearchParams(body)) {
      if (this.values.has(key)) throw invalid(`Parameter ${key} is given twice.`);
      this.values.set(key, value);
    }
  }

  get(key: string): string | undefined {
    if (!this.values.has(key)) return undefined;
    this.used.add(key);
    return this.values.get(key);
  }

  /** Whether any parameter is `key` itself or lies under `key.`. */
  has(key: string): boolean {
    for (const k of this.values.keys()) if (k === key || k.startsWith(`${key}.`)) return true;
    return false;
  }

  /** The item numbers under `key.<word>.N…`, ascending. */
  indexes(key: string, word: string): number[] {
    const prefix = `${key}.${word}.`;
    const found = new Set<number>();
    for (const k of this.values.keys()) {
      if (!k.startsWith(prefix)) continue;
      const n = k.slice(prefix.length).split('.')[0]!;
      if (!/^[1-9][0-9]*$/.test(n)) throw invalid(`Parameter ${k}: list items are numbered from 1.`);
      found.add(Number(n));
    }
    return [...found].sort((a, b) => a - b);
  }

  unused(): string[] {
    return [...this.values.keys()].filter((k) => !this.used.has(k));
  }
}

const decodeSimple = (type: number, raw: string, key: string): unknown => {
  if (type === 1) {
    if (!/^-?[0-9]+(\.[0-9]+)?$/.test(raw)) throw invalid(`Value '${raw}' at '${key}' failed to satisfy constraint: Member must be a number.`);
    return Number(raw);
  }
  if (type === 2) {
    if (raw !== 'true' && raw !== 'false') throw invalid(`Value '${raw}' at '${key}' failed to satisfy constraint: Member must be true or false.`);
    return raw === 'true';
  }
  if (type >= 4 && type <= 7) {
    const at = new Date(raw);
    if (Number.isNaN(at.getTime())) throw invalid(`Value '${raw}' at '${key}' is not a timestamp.`);
    return at;
  }
  return raw;
};

function decode(ref: SchemaRef, params: QueryParameters, key: string): unknown {
  const schema = deref(ref);
  if (typeof schema === 'number') {
    if (schema & 64) return decodeList(schema & ~64, params, key);
    if (schema & 128) return decodeMap(schema & ~128, params, key);
    const raw = params.get(key);
    return raw === undefined ? undefined : decodeSimple(schema, raw, key);
  }
  if (!Array.isArray(schema)) return params.get(key);
  switch (schema[0]) {
    case 1:
      return decodeList(schema[4], params, key);
    case 2:
      return decodeMap(schema[5], params, key);
    case 3:
      return params.has(key) ? decodeStructure(schema as Structure, params, `${key}.`) : undefined;
    default:
      return params.get(key);
  }
}

function decodeList(member: SchemaRef, params: QueryParameters, key: string): unknown[] | undefined {
  if (params.get(key) === '') return [];
  const indexes = params.indexes(key, 'member');
  if (indexes.length === 0) return undefined;
  return indexes.map((i) => decode(member, params, `${key}.member.${i}`));
}

function decodeMap(value: SchemaRef, params: QueryParameters, key: string): Record<string, unknown> | undefined {
  const indexes = params.indexes(key, 'entry');
  if (indexes.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const i of indexes) {
    const k = params.get(`${key}.entry.${i}.key`);
    if (k === undefined) throw invalid(`Parameter ${key}.entry.${i}.key is missing.`);
    out[k] = decode(value, params, `${key}.entry.${i}.value`);
  }
  return out;
}

function decodeStructure(schema: Structure, params: QueryParameters, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const shape = structureShape(schema);
  shape.members.forEach((member, i) => {
    const value = decode(schema[5][i], params, `${prefix}${member}`);
    if (value !== undefined) out[member] = value;
  });
  for (const member of shape.required) {
    if (out[member] === undefined) {
      throw invalid(`1 validation error detected: Value null at '${prefix}${member}' failed to satisfy constraint: Member must not be null`);
    }
  }
  return out;
}

/**
 * Decodes a whole request (the body without `Action` and `Version`) into the input structure.
 * Parameters the model does not have are refused.
 */
export function decodeRequest(inputSchema: SchemaRef, params: QueryParameters): Record<string, unknown> {
  const schema = deref(inputSchema);
  if (!isStructure(schema)) throw new Error('not a structure schema');
  const input = decodeStructure(schema, params, '');
  const unknown = params.unused();
  if (unknown.length > 0) {
    throw invalid(`Unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} for ${structureShape(schema).name}.`);
  }
  return input;
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export { escapeXml };

/** Writes `value` as the model's XML for `ref`, inside `<tag>` (members the schema lacks are an error: the stand-in's own bug). */
export function encodeXml(ref: SchemaRef, value: unknown, tag: string): string {
  if (value === undefined || value === null) return '';
  const schema = deref(ref);
  const wrap = (inner: string) => `<${tag}>${inner}</${tag}>`;
  if (typeof schema === 'number') {
    if (schema & 64) return wrap((value as unknown[]).map((item) => encodeXml(schema & ~64, item, 'member')).join(''));
    if (schema & 128) {
      return wrap(
        Object.entries(value as Record<string, unknown>)
          .map(([k, v]) => `<entry><key>${escapeXml(k)}</key>${encodeXml(schema & ~128, v, 'value')}</entry>`)
          .join(''),
      );
    }
    if (schema >= 4 && schema <= 7) return wrap(new Date(value as number | Date).toISOString());
    return wrap(escapeXml(String(value)));
  }
  if (!Array.isArray(schema)) return wrap(escapeXml(String(value)));
  switch (schema[0]) {
    case 1:
      return wrap((value as unknown[]).map((item) => encodeXml(schema[4], item, 'member')).join(''));
    case 2:
      return wrap(
        Object.entries(value as Record<string, unknown>)
          .map(([k, v]) => `<entry><key>${escapeXml(k)}</key>${encodeXml(schema[5], v, 'value')}</entry>`)
          .join(''),
      );
    case 3: {
      const structure = schema as Structure;
      const record = value as Record<string, unknown>;
      const members = structure[4];
      for (const key of Object.keys(record)) {
        if (record[key] !== undefined && !members.includes(key)) throw new Error(`${structure[2]} has no member ${key}`);
      }
      return wrap(members.map((member, i) => encodeXml(structure[5][i], record[member], member)).join(''));
    }
    default:
      return wrap(escapeXml(String(value)));
  }
}
