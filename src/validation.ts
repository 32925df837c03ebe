/**
 * The one validator: Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses) compiled once from the
 * generated spec. The client, the sandbox and the contract checks all call these functions; no
 * constraint of the spec is ever written again by hand.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { resolveRef, spec, upsertOperation, type JsonSchema } from './spec.js';

// ajv-formats ships CommonJS: under ESM the plugin is the module's `default` property.
const addFormats = addFormatsModule.default;

/** One violation of the spec by a value: where, which rule, and a readable message. */
export interface Violation {
  /** JSON pointer to the offending value (for a missing property: where it should be). */
  pointer: string;
  /** The JSON Schema keyword that failed: `required`, `type`, `enum`, `pattern`, `format`, … */
  rule: string;
  /** `<pointer> <what must hold>`, e.g. `/patientPhoneNumber must match pattern ^[3689][0-9]{7}$`. */
  message: string;
}

/** The result of a validation: `ok`, or every violation found. */
export type ValidationResult = { ok: true } | { ok: false; violations: Violation[] };

const SPEC_ID = 'https://refx.invalid/openapi.json';

const ajv = new Ajv2020({
  allErrors: true,
  strict: true,
  // Keywords OpenAPI puts beside JSON Schema that are annotations only.
  // `components` is only the container the spec's schemas are addressed through.
  keywords: ['example', 'discriminator', 'xml', 'externalDocs', 'components'],
  validateFormats: true,
});
addFormats(ajv, ['date', 'uri']);
// Only `components.schemas` is JSON Schema; references point into it by pointer.
ajv.addSchema({ $id: SPEC_ID, components: { schemas: spec.components.schemas } } as never);

function compileRef(schema: JsonSchema): ValidateFunction {
  const ref = typeof schema.$ref === 'string' ? schema.$ref : undefined;
  if (ref?.startsWith('#/components/schemas/')) {
    const fn = ajv.getSchema(`${SPEC_ID}${ref}`);
    if (!fn) throw new Error(`cannot compile ${ref}`);
    return fn;
  }
  return ajv.compile({ $ref: `${SPEC_ID}#`, ...schema } as never);
}

const requestSchema = upsertOperation.requestBody.content['application/json']?.schema;
if (!requestSchema) throw new Error('generated spec has no application/json request body');
const requestValidator = compileRef(requestSchema);

/** Documented response statuses → validator of the JSON body for that status. */
const responseValidators = new Map<string, ValidateFunction>(
  Object.entries(upsertOperation.responses).map(([status, response]) => {
    const resolved = resolveRef(response as { content?: Record<string, { schema: JsonSchema }> });
    const schema = resolved.content?.['application/json']?.schema;
    if (!schema) throw new Error(`response ${status} has no application/json schema`);
    return [status, compileRef(schema)];
  }),
);

/** The response statuses the spec documents for the upsert operation, e.g. `['200','400','401']`. */
export const DOCUMENTED_STATUSES: readonly string[] = [...responseValidators.keys()];

function describe(error: ErrorObject): Violation {
  const { keyword, params } = error;
  if (keyword === 'required') {
    const pointer = `${error.instancePath}/${String((params as { missingProperty: string }).missingProperty)}`;
    return { pointer, rule: 'required', message: `${pointer} is required` };
  }
  const pointer = error.instancePath;
  let what: string;
  switch (keyword) {
    case 'pattern':
      what = `must match pattern ${String((params as { pattern: string }).pattern)}`;
      break;
    case 'enum': {
      const allowed = (params as { allowedValues: unknown[] }).allowedValues;
      what =
        allowed.length <= 10
          ? `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`
          : `must be one of the ${allowed.length} allowed values`;
      break;
    }
    case 'format':
      what = `must be a valid ${String((params as { format: string }).format)}`;
      break;
    case 'type':
      what = `must be of type ${String((params as { type: string | string[] }).type)}`;
      break;
    default:
      what = error.message ?? `must satisfy ${keyword}`;
  }
  // Never echo the offending value: it may be patient data.
  return { pointer, rule: keyword, message: `${pointer || '(body)'} ${what}` };
}

function toResult(validate: ValidateFunction, value: unknown): ValidationResult {
  if (validate(value)) return { ok: true };
  const violations = (validate.errors ?? [])
    // `oneOf` failures repeat what the branches already said.
    .filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if')
    .map(describe);
  return { ok: false, violations };
}

/** Validates an upsert request body against the spec. */
export function validateUpsertRequest(body: unknown): ValidationResult {
  return toResult(requestValidator, body);
}

/**
 * Validates a response body against the schema the spec documents for `status`.
 * An undocumented status is reported as one violation with rule `status`.
 */
export function validateUpsertResponse(status: number | string, body: unknown): ValidationResult {
  const validate = responseValidators.get(String(status));
  if (!validate) {
    return {
      ok: false,
      violations: [
        {
          pointer: '',
          rule: 'status',
          message: `status ${status} is not documented (documented: ${DOCUMENTED_STATUSES.join(', ')})`,
        },
      ],
    };
  }
  return toResult(validate, body);
}

/** One line per violation, for error messages. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => v.message).join('; ');
}
