/**
 * spec > facts: the bundled spec says exactly what RefX publishes (test/facts/refx-contract.json,
 * written from the contract notes; nationality.json is RefX's own list). Table-driven: one row per
 * field, so a field added to the facts gets its checks without new code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { requestExamples, resolveRef, spec, upsertOperation, type JsonSchema } from '../../src/spec.ts';
import { validateUpsertRequest, validateUpsertResponse } from '../../src/validation.ts';

interface FieldFact {
  type?: string;
  required: boolean;
  enum?: string[] | 'nationality.json';
  pattern?: string;
  format?: string;
  oneOf?: string[];
}
interface Facts {
  path: string;
  method: string;
  operationId: string;
  requestBodyRequired: boolean;
  request: Record<string, FieldFact>;
  address: Record<string, FieldFact>;
  response200: Record<string, FieldFact>;
  errorBody: Record<string, FieldFact>;
  documentedStatuses: string[];
  servers: string[];
  securitySchemes: Record<string, Record<string, string>>;
  documentationRequestExample: Record<string, string>;
  documentationResponseExample: Record<string, string>;
}

const readFact = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../facts/${name}`, import.meta.url), 'utf8'));
const facts = readFact('refx-contract.json') as Facts;
const nationalities = readFact('nationality.json') as string[];

const schemaOf = (ref: JsonSchema): JsonSchema => resolveRef(ref as JsonSchema);
const requestSchema = schemaOf(upsertOperation.requestBody.content['application/json']!.schema);
const responseSchema = (status: string): JsonSchema => {
  const response = resolveRef(upsertOperation.responses[status] as { content: Record<string, { schema: JsonSchema }> });
  return schemaOf(response.content['application/json']!.schema);
};

/** Table of [object name, schema, facts] checked field by field. */
const objects: [string, JsonSchema, Record<string, FieldFact>][] = [
  ['request', requestSchema, facts.request],
  ['address', schemaOf((requestSchema.properties as Record<string, JsonSchema>).address!), facts.address],
  ['200 response', responseSchema('200'), facts.response200],
  ['400 error body', responseSchema('400'), facts.errorBody],
  ['401 error body', responseSchema('401'), facts.errorBody],
];

describe.each(objects)('spec > facts > %s', (_name, schema, fields) => {
  const properties = schema.properties as Record<string, JsonSchema>;
  const required = (schema.required as string[] | undefined) ?? [];

  test('has exactly the published fields, no more and no fewer', () => {
    expect(Object.keys(properties).sort()).toEqual(Object.keys(fields).sort());
  });

  test.each(Object.entries(fields))('%s: type, required flag, enum, pattern and format', (field, fact) => {
    const property = schemaOf(properties[field]!);
    expect(required.includes(field), `required flag of ${field}`).toBe(fact.required);
    if (fact.type) expect(property.type).toBe(fact.type);
    const wantEnum = fact.enum === 'nationality.json' ? nationalities : fact.enum;
    expect(property.enum).toEqual(wantEnum);
    expect(property.pattern).toBe(fact.pattern);
    expect(property.format).toBe(fact.format);
    if (fact.oneOf) {
      expect((property.oneOf as JsonSchema[]).map((s) => (s.type === 'array' ? `array of ${(s.items as JsonSchema).type}s` : s.type))).toEqual(fact.oneOf);
    }
    expect(typeof property.description === 'string' || typeof properties[field]!.description === 'string').toBe(true);
  });
});

describe('spec > facts > operation', () => {
  test('POST /api/v1/links/upsert is createUpsertLink with a required JSON body and a tag', () => {
    const op = spec.paths[facts.path]?.[facts.method] as unknown as Record<string, unknown>;
    expect(op.operationId).toBe(facts.operationId);
    expect(upsertOperation.requestBody.required).toBe(facts.requestBodyRequired);
    expect(op.tags).toHaveLength(1);
    expect(String(op.description)).toMatch(/single use/i);
    expect(String(op.description)).toMatch(/15 minutes/);
    expect(String(op.description)).toMatch(/browser tab, a webview or an iframe/);
  });

  test('documents exactly the statuses RefX publishes', () => {
    expect(Object.keys(upsertOperation.responses)).toEqual(facts.documentedStatuses);
  });

  test('lists production, staging, the local mock and the local sandbox as servers', () => {
    expect(spec.servers.map((s) => s.url)).toEqual(facts.servers);
  });

  test('offers ApiKey and ES256 JWT bearer as alternative security schemes', () => {
    for (const [name, scheme] of Object.entries(facts.securitySchemes)) {
      expect(spec.components.securitySchemes[name]).toMatchObject(scheme);
    }
    expect((upsertOperation as unknown as { security: unknown }).security).toEqual([{ ApiKey: [] }, { RefxJwt: [] }]);
  });

  test('nationality has the 255 values in RefX order', () => {
    expect(nationalities).toHaveLength(255);
    expect(nationalities).toContain('Cocos (Keeling)Islands');
    expect(nationalities).toContain('Åland Islands');
  });
});

describe('spec > examples', () => {
  test('the first request example is the documentation\'s own', () => {
    const [first] = requestExamples();
    expect(first?.name).toBe('documentation');
    expect(first?.value).toEqual(facts.documentationRequestExample);
  });

  test('there is a request example using every optional field, the address included', () => {
    const all = requestExamples().find((e) => e.name === 'allOptionalFields');
    expect(Object.keys(all?.value as object).sort()).toEqual(Object.keys(facts.request).sort());
  });

  test.each(requestExamples().map((e) => [e.name, e.value] as const))('request example %s is valid', (_n, value) => {
    expect(validateUpsertRequest(value)).toEqual({ ok: true });
  });

  const responseExamples = Object.entries(upsertOperation.responses).flatMap(([status, r]) => {
    const response = resolveRef(r as { content: Record<string, { examples?: Record<string, unknown> }> });
    return Object.entries(response.content['application/json']?.examples ?? {}).map(
      ([name, ex]) => [status, name, resolveRef(ex as { value: unknown }).value] as const,
    );
  });

  test('the 200 example is the documentation\'s, and 400 and 401 have one each', () => {
    expect(responseExamples.map(([s]) => s)).toEqual(['200', '400', '401']);
    expect(responseExamples[0]?.[2]).toEqual(facts.documentationResponseExample);
  });

  test.each(responseExamples)('response %s example %s is valid', (status, _name, value) => {
    expect(validateUpsertResponse(status, value)).toEqual({ ok: true });
  });
});

describe('spec > validator', () => {
  test('is compiled from the spec: it rejects what the spec forbids, naming each violation', () => {
    const result = validateUpsertRequest({
      ...facts.documentationRequestExample,
      patientPhoneNumber: '12345678',
      referrerIdType: 'MCR',
    });
    expect(result).toEqual({
      ok: false,
      violations: [
        { pointer: '/referrerIdType', rule: 'enum', message: expect.stringContaining('/referrerIdType must be one of') },
        { pointer: '/patientPhoneNumber', rule: 'pattern', message: '/patientPhoneNumber must match pattern ^[3689][0-9]{7}$' },
      ],
    });
  });

  test('the bundled spec is a valid JSON Schema 2020-12 for each component', () => {
    const ajv = new Ajv2020({ strict: false });
    for (const schema of Object.values(spec.components.schemas)) {
      expect(ajv.validateSchema(schema as object)).toBe(true);
    }
  });
});
