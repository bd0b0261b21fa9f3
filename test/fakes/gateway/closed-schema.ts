// A tiny JSON-schema subset with OpenClaw's validator wording. Objects are closed unless `open` is set.
export type Schema =
  | { type: 'string'; minLength?: number; maxLength?: number; enum?: readonly string[]; nullable?: boolean }
  | { type: 'integer'; minimum?: number; maximum?: number; nullable?: boolean }
  | { type: 'number'; nullable?: boolean }
  | { type: 'boolean'; nullable?: boolean }
  | { type: 'array'; items?: Schema }
  | ObjectSchema
  | { type: 'any' };

export interface ObjectSchema {
  type: 'object';
  properties: Record<string, Schema>;
  required?: readonly string[];
  open?: boolean;
}

export const str = (extra: Omit<Extract<Schema, { type: 'string' }>, 'type'> = {}): Schema => ({ type: 'string', ...extra });
export const int = (minimum?: number, maximum?: number): Schema => ({ type: 'integer', minimum, maximum });
export const bool: Schema = { type: 'boolean' };
export const num: Schema = { type: 'number' };
export const any: Schema = { type: 'any' };
export const strArray: Schema = { type: 'array', items: { type: 'string' } };
export const nullableStr: Schema = { type: 'string', nullable: true };

export function obj(properties: Record<string, Schema>, required: readonly string[] = []): ObjectSchema {
  return { type: 'object', properties, required };
}

/** Same schema with more optional properties (how v4 extends v3 shapes). */
export function extend(base: ObjectSchema, more: Record<string, Schema>, required?: readonly string[]): ObjectSchema {
  return { ...base, properties: { ...base.properties, ...more }, required: required ?? base.required };
}

/** Returns the first validation error, worded like OpenClaw's (`at /client: unexpected property 'x'`), or undefined. */
export function validate(schema: Schema, value: unknown, path = ''): string | undefined {
  const at = `at ${path === '' ? 'root' : path}: `;
  if (schema.type === 'any') return undefined;
  if (value === null && 'nullable' in schema && schema.nullable) return undefined;
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return `${at}must be string`;
      if (schema.minLength !== undefined && value.length < schema.minLength)
        return `${at}must NOT have fewer than ${schema.minLength} characters`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        return `${at}must NOT have more than ${schema.maxLength} characters`;
      if (schema.enum && !schema.enum.includes(value)) return `${at}must be equal to one of the allowed values`;
      return undefined;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${at}must be integer`;
      if (schema.minimum !== undefined && value < schema.minimum) return `${at}must be >= ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `${at}must be <= ${schema.maximum}`;
      return undefined;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${at}must be number`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${at}must be boolean`;
    case 'array': {
      if (!Array.isArray(value)) return `${at}must be array`;
      const items = schema.items;
      if (!items) return undefined;
      for (let i = 0; i < value.length; i++) {
        const err = validate(items, value[i], `${path}/${i}`);
        if (err) return err;
      }
      return undefined;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${at}must be object`;
      const record = value as Record<string, unknown>;
      for (const key of schema.required ?? []) {
        // The real validator words a missing root property without the `at root:` prefix.
        if (record[key] === undefined) return `${path === '' ? '' : at}must have required property '${key}'`;
      }
      if (!schema.open) {
        for (const key of Object.keys(record)) {
          if (!(key in schema.properties)) return `${at}unexpected property '${key}'`;
        }
      }
      for (const [key, sub] of Object.entries(schema.properties)) {
        if (record[key] === undefined) continue;
        const err = validate(sub, record[key], `${path}/${key}`);
        if (err) return err;
      }
      return undefined;
    }
  }
}
