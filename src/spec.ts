/**
 * The generated, bundled spec (generated/openapi.yaml), loaded once. Everything that needs a schema
 * (client validation, sandbox, contract checks) reads it from here, never from spec/ or a copy.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Absolute path of the bundled OpenAPI 3.1 spec. */
export const BUNDLED_SPEC_PATH = fileURLToPath(new URL('../generated/openapi.yaml', import.meta.url));
/** Absolute path of the OpenAPI 3.0 copy (for Dredd). */
export const SPEC_3_0_PATH = fileURLToPath(new URL('../generated/openapi-3.0.json', import.meta.url));

/** The operation this toolkit is about. */
export const UPSERT_PATH = '/api/v1/links/upsert';
export const UPSERT_METHOD = 'post';
export const UPSERT_OPERATION_ID = 'createUpsertLink';

/** A loosely typed view of the bundled OpenAPI document. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  servers: { url: string; description?: string }[];
  paths: Record<string, Record<string, OperationObject>>;
  components: {
    schemas: Record<string, JsonSchema>;
    examples: Record<string, { summary?: string; value: unknown }>;
    responses: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
}
export interface OperationObject {
  operationId: string;
  requestBody: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, unknown>;
}
export interface MediaType {
  schema: JsonSchema;
  examples?: Record<string, { $ref?: string; summary?: string; value?: unknown }>;
}
/** A JSON Schema (2020-12) node as found in the spec. */
export type JsonSchema = Record<string, unknown>;

/** The bundled spec, parsed once per process. */
export const spec: OpenApiDocument = parse(readFileSync(BUNDLED_SPEC_PATH, 'utf8')) as OpenApiDocument;

/** `info.version` of the spec this build was generated from. */
export const SPEC_VERSION: string = spec.info.version;

/** The upsert operation object. */
export const upsertOperation: OperationObject = (() => {
  const op = spec.paths[UPSERT_PATH]?.[UPSERT_METHOD];
  if (!op) throw new Error(`generated spec has no ${UPSERT_METHOD.toUpperCase()} ${UPSERT_PATH}`);
  return op;
})();

/** Follows a local `#/components/...` reference. */
export function resolveRef<T>(value: T | { $ref: string }): T {
  if (value && typeof value === 'object' && '$ref' in value && typeof value.$ref === 'string') {
    const target = value.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], spec);
    if (target === undefined) throw new Error(`unresolved reference ${value.$ref}`);
    return resolveRef(target as T);
  }
  return value as T;
}

/** The named request examples of the upsert operation, in spec order. */
export function requestExamples(): { name: string; summary?: string; value: unknown }[] {
  const media = upsertOperation.requestBody.content['application/json'];
  return Object.entries(media?.examples ?? {}).map(([name, ex]) => {
    const resolved = resolveRef(ex as { summary?: string; value: unknown });
    return { name, summary: resolved.summary, value: resolved.value };
  });
}
