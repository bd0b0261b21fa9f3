// Discord's OpenAPI 3.1 spec (../shared/discord-api-spec/openapi.json beside the repository), loaded once per
// process, its operations indexed by method and path template, and ajv validators compiled lazily per operation and
// part, then cached. The schemas are Discord's; ajv does the validating.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;

const SPEC_IN_SHARED = join('shared', 'discord-api-spec', 'openapi.json');
/** The id the whole spec document is registered under; schemas are compiled as `$ref`s into it. */
const SPEC_ID = 'discord-openapi';

/**
 * The spec file: `$DISCORD_API_SPEC`, or `shared/discord-api-spec/openapi.json` in the nearest ancestor of this
 * module that has one (the repository's parent in a checkout, in CI and in dist/ builds alike).
 */
export function specPath(): string {
  const fromEnv = process.env['DISCORD_API_SPEC'];
  if (fromEnv) return fromEnv;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, SPEC_IN_SHARED);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Discord's OpenAPI spec not found: no ${SPEC_IN_SHARED} in any folder above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** `#/a/b` or ['a', 'b'] → the `$ref` of that place in the spec document. */
function refInto(tokens: Array<string | number>): string {
  const escaped = tokens.map((t) => encodeURIComponent(String(t).replace(/~/g, '~0').replace(/\//g, '~1')));
  return `${SPEC_ID}#/${escaped.join('/')}`;
}

export interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  /** Where its schema sits in the spec. */
  schemaAt: Array<string | number>;
}

export interface SpecOperation {
  method: string;
  /** Path template as the spec writes it, e.g. `/channels/{channel_id}/messages`. */
  template: string;
  operationId: string;
  segments: string[];
  /** Literal segments count: a literal beats a parameter (`@original` over `{message_id}`). */
  literals: number;
  parameters: SpecParameter[];
  /** `['paths', template, method]` */
  at: Array<string | number>;
  requestBody: { required: boolean; contentTypes: string[] } | null;
  /** Status key ('200', '4XX', 'default') → content types ([] for no body), with where each schema is. */
  responses: Map<string, Map<string, Array<string | number>>>;
}

export interface Spec {
  document: Json;
  operations: SpecOperation[];
  /** Validates without coercion (bodies). */
  strict: Ajv2020;
  /** Coerces strings to the schema's types (path and query parameters). */
  coercing: Ajv2020;
  /** The schema object at a `#/…` reference inside the document. */
  resolve(ref: string): Json | undefined;
  /** A validator for the schema at `tokens` (compiled once). */
  validatorAt(tokens: Array<string | number>, coercing?: boolean): ValidateFunction;
  /** A validator for a schema that refers into the document (compiled once per key). */
  validatorFor(key: string, schema: Json, coercing?: boolean): ValidateFunction;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function makeAjv(coerce: boolean): Ajv2020 {
  // strict: false because the spec carries OpenAPI-only keys (`x-discord-union`, `contentEncoding` on binaries).
  // verbose: errors carry the failing schema and data, which the error explainer uses to pick a union's branch.
  const ajv = new Ajv2020({ strict: false, allErrors: true, verbose: true, validateSchema: false, coerceTypes: coerce ? 'array' : false });
  addFormats.default(ajv);
  // Discord's own formats: the snowflake's pattern sits beside the format already, and a nonce is an int or a
  // short string (its length is a documented limit, see limits.ts).
  ajv.addFormat('snowflake', true);
  ajv.addFormat('nonce', true);
  return ajv;
}

function indexOperations(document: Json, resolve: (ref: string) => Json | undefined): SpecOperation[] {
  const operations: SpecOperation[] = [];
  const paths = isObject(document['paths']) ? document['paths'] : {};
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    const shared = Array.isArray(item['parameters']) ? item['parameters'] : [];
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const byKey = new Map<string, SpecParameter>();
      const addParams = (list: unknown[], base: Array<string | number>) =>
        list.forEach((p, i) => {
          if (!isObject(p) || typeof p['name'] !== 'string') return;
          const where = p['in'] as SpecParameter['in'];
          byKey.set(`${where}:${p['name']}`, { name: p['name'], in: where, required: p['required'] === true || where === 'path', schemaAt: [...base, i, 'schema'] });
        });
      addParams(shared, ['paths', template, 'parameters']);
      addParams(Array.isArray(op['parameters']) ? op['parameters'] : [], ['paths', template, method, 'parameters']);
      const body = isObject(op['requestBody']) ? op['requestBody'] : null;
      const responses = new Map<string, Map<string, Array<string | number>>>();
      for (const [status, raw] of Object.entries(isObject(op['responses']) ? op['responses'] : {})) {
        let response = raw;
        let at: Array<string | number> = ['paths', template, method, 'responses', status];
        if (isObject(raw) && typeof raw['$ref'] === 'string') {
          response = resolve(raw['$ref']);
          at = raw['$ref'].slice(2).split('/');
        }
        const content = isObject(response) && isObject(response['content']) ? response['content'] : {};
        responses.set(status, new Map(Object.keys(content).map((type) => [type, [...at, 'content', type, 'schema']])));
      }
      const segments = template.split('/').filter(Boolean);
      operations.push({
        method: method.toUpperCase(),
        template,
        operationId: typeof op['operationId'] === 'string' ? op['operationId'] : `${method} ${template}`,
        segments,
        literals: segments.filter((s) => !s.startsWith('{')).length,
        parameters: [...byKey.values()],
        at: ['paths', template, method],
        requestBody: body ? { required: body['required'] === true, contentTypes: Object.keys(isObject(body['content']) ? body['content'] : {}) } : null,
        responses,
      });
    }
  }
  // Most literal segments first, so the first match is the most specific one.
  return operations.sort((a, b) => b.literals - a.literals);
}

let loaded: Spec | undefined;

/** The spec, loaded and indexed on first use; the same object for the rest of the process. */
export function discordSpec(): Spec {
  if (loaded) return loaded;
  const document = JSON.parse(readFileSync(specPath(), 'utf8')) as Json;
  const resolve = (ref: string): Json | undefined => {
    if (!ref.startsWith('#/')) return undefined;
    let node: unknown = document;
    for (const raw of ref.slice(2).split('/')) {
      const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) ? node[token] : Array.isArray(node) ? node[Number(token)] : undefined;
    }
    return isObject(node) ? node : undefined;
  };
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  strict.addSchema(document, SPEC_ID);
  coercing.addSchema(document, SPEC_ID);
  const cache = new Map<string, ValidateFunction>();
  const compiled = (key: string, coerce: boolean, schema: () => Json): ValidateFunction => {
    const cacheKey = `${coerce ? 'c' : 's'}:${key}`;
    let fn = cache.get(cacheKey);
    if (!fn) {
      fn = (coerce ? coercing : strict).compile(schema());
      cache.set(cacheKey, fn);
    }
    return fn;
  };
  loaded = {
    document,
    operations: indexOperations(document, resolve),
    strict,
    coercing,
    resolve,
    validatorAt: (tokens, coerce = false) => compiled(tokens.join('\u0000'), coerce, () => ({ $ref: refInto(tokens) })),
    validatorFor: (key, schema, coerce = false) => compiled(`custom:${key}`, coerce, () => schema),
  };
  return loaded;
}

/** `$ref` for a `#/…` reference inside the spec, usable in schemas compiled against it. */
export function specRef(ref: string): string {
  return `${SPEC_ID}${ref}`;
}

export function specRefAt(tokens: Array<string | number>): string {
  return refInto(tokens);
}

/** The operation for a method and a decoded path below /api/v10, with its path parameters; undefined when none. */
export function findOperation(spec: Spec, method: string, path: string): { operation: SpecOperation; params: Record<string, string> } | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const operation of spec.operations) {
    if (operation.method !== method || operation.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < segments.length && ok; i += 1) {
      const pattern = operation.segments[i]!;
      const actual = segments[i]!;
      if (pattern.startsWith('{') && pattern.endsWith('}')) params[pattern.slice(1, -1)] = actual;
      else ok = pattern === actual;
    }
    if (ok) return { operation, params };
  }
  return undefined;
}

export type { ErrorObject };
