// Turns ajv's errors into findings a person can act on: one JSON pointer and message each. A failed union (oneOf /
// anyOf) makes ajv report every branch's errors; Discord's unions are mostly tagged by `type` (or nullable), so the
// branch the data meant is picked and the data re-validated against that branch alone, by ajv.
import type { ErrorObject } from './openapi.js';

type Json = Record<string, unknown>;

export interface Finding {
  /** JSON pointer into the validated value. */
  pointer: string;
  message: string;
}

export interface BranchValidator {
  /** The schema behind a `#/…` reference of the spec. */
  resolve(ref: string): Json | undefined;
  /** ajv's errors for `data` against the schema at `ref` (empty when valid). */
  validate(ref: string, data: unknown): ErrorObject[];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isUnion = (e: ErrorObject) => e.keyword === 'anyOf' || e.keyword === 'oneOf';
const within = (path: string, root: string) => path === root || path.startsWith(`${root}/`);
/** The null branch of a nullable union failing on a non-null value: never the point. */
const isNullBranch = (e: ErrorObject) => e.keyword === 'type' && (e.params as { type?: unknown }).type === 'null';

function pointerOf(e: ErrorObject): string {
  const params = e.params as { missingProperty?: string; additionalProperty?: string };
  if (e.keyword === 'required' && params.missingProperty) return `${e.instancePath}/${params.missingProperty}`;
  if (e.keyword === 'additionalProperties' && params.additionalProperty) return `${e.instancePath}/${params.additionalProperty}`;
  return e.instancePath;
}

function messageOf(e: ErrorObject): string {
  const params = e.params as { allowedValues?: unknown[] };
  const base = e.message ?? e.keyword;
  if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) return `${base} (${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(e.data)})`;
  if (e.keyword === 'const') return `${base} (got ${JSON.stringify(e.data)})`;
  return base;
}

function allowsNull(schema: Json): boolean {
  const type = schema['type'];
  return type === 'null' || (Array.isArray(type) && type.includes('null'));
}

/** The tag values a branch accepts for `type`, or null when the branch is not tagged. */
function tagValues(schema: Json): unknown[] | null {
  const props = isObject(schema['properties']) ? schema['properties'] : null;
  const tag = props && isObject(props['type']) ? props['type'] : null;
  if (!tag) return null;
  if (Array.isArray(tag['enum'])) return tag['enum'];
  if ('const' in tag) return [tag['const']];
  return null;
}

interface Branch {
  ref: string | null;
  schema: Json;
}

/** The branches the data can have meant: by null-ness, then by the `type` tag. */
function candidates(branches: Branch[], data: unknown): { fitting: Branch[]; tags: unknown[] } {
  const tags: unknown[] = [];
  const fitting = branches.filter(({ schema }) => {
    if (data === null) return allowsNull(schema);
    if (schema['type'] === 'null') return false;
    const values = tagValues(schema);
    if (values) tags.push(...values);
    if (values && isObject(data)) return values.includes(data['type']);
    return true;
  });
  return { fitting, tags };
}

export function explainErrors(errors: ErrorObject[], spec: BranchValidator, base = '', depth = 0): Finding[] {
  const findings: Finding[] = [];
  const handled: string[] = [];
  const unions = errors.filter(isUnion).sort((a, b) => a.instancePath.split('/').length - b.instancePath.split('/').length);
  for (const union of unions) {
    const at = union.instancePath;
    if (handled.some((h) => within(at, h))) continue;
    handled.push(at);
    const inside = errors.filter((e) => within(e.instancePath, at) && !isUnion(e) && !isNullBranch(e));
    const passing = (union.params as { passingSchemas?: unknown }).passingSchemas;
    if (Array.isArray(passing)) {
      findings.push({ pointer: `${base}${at}`, message: `matches more than one schema of a oneOf (branches ${passing.join(', ')})` });
      continue;
    }
    const raw = Array.isArray(union.schema) ? (union.schema as unknown[]) : [];
    const branches: Branch[] = raw.filter(isObject).map((b) => {
      const ref = typeof b['$ref'] === 'string' ? b['$ref'] : null;
      return { ref, schema: (ref ? spec.resolve(ref) : b) ?? {} };
    });
    const { fitting, tags } = candidates(branches, union.data);
    // One branch the data can have meant, or (untagged unions of references) the branch it comes closest to.
    const refs = fitting.filter((b) => b.ref !== null);
    if (refs.length > 0 && refs.length === fitting.length && depth < 16) {
      const tried = refs.map((b) => spec.validate(b.ref!, union.data));
      const best = tried.reduce((a, b) => (b.length < a.length ? b : a));
      findings.push(...explainErrors(best, spec, `${base}${at}`, depth + 1));
      continue;
    }
    if (fitting.length === 0 && tags.length > 0 && isObject(union.data)) {
      findings.push({ pointer: `${base}${at}/type`, message: `${JSON.stringify(union.data['type'])} is none of the types allowed here (${[...new Set(tags)].join(', ')})` });
      continue;
    }
    if (inside.length === 0) findings.push({ pointer: `${base}${at}`, message: messageOf(union) });
    else findings.push(...inside.map((e) => ({ pointer: `${base}${pointerOf(e)}`, message: messageOf(e) })));
  }
  for (const e of errors) {
    if (isUnion(e) || handled.some((h) => within(e.instancePath, h))) continue;
    findings.push({ pointer: `${base}${pointerOf(e)}`, message: messageOf(e) });
  }
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.pointer}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
