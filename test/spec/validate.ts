// Checks one HTTP exchange with Discord's REST API against Discord's OpenAPI spec: the request (route, path
// parameters, query, body; the payload_json of multipart bodies) and the answer (status, content type, body), plus
// the documented limits the schema leaves out. Every problem is a violation naming the route, a JSON pointer and
// what is wrong.
import { explainErrors, type BranchValidator, type Finding } from './explain.js';
import { documentedLimits, type Upload } from './limits.js';
import { discordSpec, findOperation, specRef, specRefAt, type Spec, type SpecOperation } from './openapi.js';

export type ViolationPart = 'route' | 'path' | 'query' | 'body' | 'response';

export interface SpecViolation {
  /** `METHOD /template` of the spec's operation, or the method and the path (ids and tokens masked) when none. */
  route: string;
  part: ViolationPart;
  /** JSON pointer into the part ('' for the whole of it). */
  pointer: string;
  message: string;
}

export interface RequestToCheck {
  method: string;
  /** Decoded path below /api/v10, e.g. `/webhooks/1/abc/messages/@original`. */
  path: string;
  query: Record<string, string>;
  /** The request's content-type header. */
  contentType?: string | undefined;
  /** The JSON body, or for multipart bodies the parsed `payload_json`; undefined when there was no body. */
  body: unknown;
  /** Multipart only: names of the file fields, e.g. `files[0]`; and the other text fields. */
  files?: string[];
  fields?: Record<string, string>;
  /** Multipart only: the file parts with their sizes (without them `files` counts, with size 0). */
  uploads?: Upload[];
  /** The largest file the server accepts; default Discord's 10 MiB (limits.ts). */
  uploadLimitBytes?: number;
}

export interface ResponseToCheck {
  status: number;
  contentType?: string | undefined;
  /** Parsed JSON body; undefined when there was none. */
  body: unknown;
}

/** A route label that never shows a token or an id: long segments and snowflakes are masked. */
export function maskedPath(path: string): string {
  return path
    .split('/')
    .map((s) => (/^\d{15,21}$/.test(s) ? '{id}' : s.length > 32 ? '{token}' : s))
    .join('/');
}

function baseType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function branchValidator(spec: Spec): BranchValidator {
  return {
    resolve: (ref) => spec.resolve(ref),
    validate: (ref, data) => {
      const fn = spec.validatorFor(ref, { $ref: specRef(ref) });
      return fn(data) ? [] : [...(fn.errors ?? [])];
    },
  };
}

function paramFindings(spec: Spec, operation: SpecOperation, where: 'path' | 'query', values: Record<string, string>): Finding[] {
  const params = operation.parameters.filter((p) => p.in === where);
  const schema = {
    type: 'object',
    properties: Object.fromEntries(params.map((p) => [p.name, { $ref: specRefAt(p.schemaAt) }])),
    required: params.filter((p) => p.required).map((p) => p.name),
    // An unknown query parameter is a misunderstanding of the endpoint, even if Discord ignores it.
    additionalProperties: false,
  };
  const validate = spec.validatorFor(`${operation.at.join(' ')} ${where}`, schema, true);
  const data = { ...values };
  if (validate(data)) return [];
  return explainErrors([...(validate.errors ?? [])], branchValidator(spec)).map((f) =>
    f.message === 'must NOT have additional properties' ? { ...f, message: `${where === 'query' ? 'query parameter' : 'parameter'} not defined for this operation` } : f,
  );
}

function validateAt(spec: Spec, tokens: Array<string | number>, data: unknown): Finding[] {
  const validate = spec.validatorAt(tokens);
  if (validate(data)) return [];
  return explainErrors([...(validate.errors ?? [])], branchValidator(spec));
}

function bodyFindings(spec: Spec, operation: SpecOperation, request: RequestToCheck): Finding[] {
  const hasBody = request.body !== undefined || (request.files?.length ?? 0) > 0;
  const declared = operation.requestBody;
  if (!declared) return hasBody ? [{ pointer: '', message: 'this operation takes no request body' }] : [];
  if (!hasBody) return declared.required ? [{ pointer: '', message: 'a request body is required' }] : [];
  const type = baseType(request.contentType);
  if (!declared.contentTypes.includes(type)) {
    return [{ pointer: '', message: `content type ${JSON.stringify(type)} is not one of ${declared.contentTypes.join(', ')}` }];
  }
  const at = [...operation.at, 'requestBody', 'content', type, 'schema'];
  let data = request.body;
  if (type === 'multipart/form-data') {
    // The multipart schema is the JSON fields (sent as payload_json) plus one binary property per file.
    const payload = request.body && typeof request.body === 'object' && !Array.isArray(request.body) ? request.body : {};
    data = { ...(request.fields ?? {}), ...payload, ...Object.fromEntries((request.files ?? []).map((f) => [f, '<binary>'])) };
  }
  const findings = validateAt(spec, at, data);
  const uploads = request.uploads ?? (request.files ?? []).map((field) => ({ field, filename: field, size: 0 }));
  const parts = { uploads, fields: request.fields ?? {}, ...(request.uploadLimitBytes !== undefined ? { limitBytes: request.uploadLimitBytes } : {}) };
  const limits = documentedLimits(operation.operationId, request.body, parts).filter((l) => !findings.some((f) => f.pointer === l.pointer));
  return [...findings, ...limits];
}

/** The violations of one request; `operation` is undefined when no operation of the spec matches. */
export function checkRequest(request: RequestToCheck): { operation: SpecOperation | undefined; violations: SpecViolation[] } {
  const spec = discordSpec();
  const method = request.method.toUpperCase();
  const found = findOperation(spec, method, request.path);
  if (!found) {
    const route = `${method} ${maskedPath(request.path)}`;
    return { operation: undefined, violations: [{ route, part: 'route', pointer: '', message: 'no operation of Discord\'s API has this method and path' }] };
  }
  const { operation, params } = found;
  const route = `${method} ${operation.template}`;
  const tag = (part: ViolationPart) => (f: Finding): SpecViolation => ({ route, part, pointer: f.pointer, message: f.message });
  return {
    operation,
    violations: [
      ...paramFindings(spec, operation, 'path', params).map(tag('path')),
      ...paramFindings(spec, operation, 'query', request.query).map(tag('query')),
      ...bodyFindings(spec, operation, request).map(tag('body')),
    ],
  };
}

/** The violations of the answer to a request of `operation`. */
export function checkResponse(operation: SpecOperation, response: ResponseToCheck): SpecViolation[] {
  const spec = discordSpec();
  const route = `${operation.method} ${operation.template}`;
  const fail = (pointer: string, message: string): SpecViolation => ({ route, part: 'response', pointer, message });
  const status = String(response.status);
  const documented = operation.responses.get(status) ?? operation.responses.get(`${status[0]}XX`) ?? operation.responses.get('default');
  if (!documented) return [fail('', `status ${status} is not an answer of this operation (it answers ${[...operation.responses.keys()].join(', ')})`)];
  const hasBody = response.body !== undefined;
  if (documented.size === 0) return hasBody ? [fail('', `status ${status} has no body in the spec, but one was sent`)] : [];
  if (!hasBody) return [fail('', `status ${status} has a ${[...documented.keys()].join(' or ')} body in the spec, but none was sent`)];
  const type = baseType(response.contentType);
  const at = documented.get(type);
  if (!at) return [fail('', `content type ${JSON.stringify(type)} is not one of ${[...documented.keys()].join(', ')}`)];
  return validateAt(spec, at, withoutErrata(at, response.body)).map((f) => fail(f.pointer, f.message));
}

/**
 * Where the spec contradicts Discord's documentation and its real answers, the documentation wins. Form errors:
 * reference.mdx (Error Messages) shows `errors` trees whose leaves are `_errors` lists with string codes such as
 * BASE_TYPE_REQUIRED; the spec's ErrorDetails/InnerErrors want integer codes and reject every such tree. So an
 * error answer's `errors` tree is left out; its `code` and `message` are checked.
 */
function withoutErrata(at: Array<string | number>, body: unknown): unknown {
  if (at.includes('ClientErrorResponse') && body && typeof body === 'object' && !Array.isArray(body) && 'errors' in body) {
    const { errors: _tree, ...rest } = body as Record<string, unknown>;
    return rest;
  }
  return body;
}

export interface ExchangeToCheck {
  request: RequestToCheck;
  /** Undefined when no answer was sent (a hang, a dropped socket) or the test chose the answer. */
  response?: ResponseToCheck;
}

export function checkExchange(exchange: ExchangeToCheck): SpecViolation[] {
  const { operation, violations } = checkRequest(exchange.request);
  if (operation && exchange.response) violations.push(...checkResponse(operation, exchange.response));
  return violations;
}

export function formatViolation(v: SpecViolation): string {
  return `${v.route} ${v.part}${v.pointer}: ${v.message}`;
}
