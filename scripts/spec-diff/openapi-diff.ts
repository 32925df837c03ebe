/**
 * Adapter for Atlassian's openapi-diff (0.24): the maintained library that classifies paths,
 * methods, status codes, response headers, and request/response bodies as sets of values
 * (json-schema-diff). It reads OpenAPI 2.0/3.0 only ("Unsupported OpenAPI version: 3.1.0"), so both
 * bundles are down-converted to 3.0 the way `npm run generate` writes generated/openapi-3.0.json.
 *
 * openapi-diff's `breaking` means breaking for clients; the server-side impact is derived here from
 * the direction of each change (see model.ts).
 */
import { Converter } from '@apiture/openapi-down-convert';
import openapiDiff from 'openapi-diff';
import { NONE_BREAKING, narrowing, widening, type SpecChange } from './model.ts';
import type { OpenApiDoc } from './rules.ts';

type LibraryResult = openapiDiff.DiffResult<openapiDiff.DiffResultType>;

/** The library's codes → impacts for both audiences, and a readable wording. */
const CODES: Record<openapiDiff.DiffResultCode, { impacts: Pick<SpecChange, 'clients' | 'servers'>; says: string }> = {
  'path.add': { impacts: widening('request'), says: 'path added' },
  'path.remove': { impacts: narrowing('request'), says: 'path removed' },
  'method.add': { impacts: widening('request'), says: 'operation added' },
  'method.remove': { impacts: narrowing('request'), says: 'operation removed' },
  'request.body.scope.add': { impacts: widening('request'), says: 'request body accepts values it rejected before' },
  'request.body.scope.remove': { impacts: narrowing('request'), says: 'request body rejects values it accepted before' },
  'response.body.scope.add': { impacts: widening('response'), says: 'response body may hold values it could not before' },
  'response.body.scope.remove': { impacts: narrowing('response'), says: 'response body no longer allows values it allowed before' },
  'response.optional.header.add': { impacts: NONE_BREAKING, says: 'optional response header added' },
  'response.optional.header.remove': { impacts: NONE_BREAKING, says: 'optional response header removed' },
  'response.required.header.add': { impacts: narrowing('response'), says: 'required response header added' },
  'response.required.header.remove': { impacts: widening('response'), says: 'required response header removed' },
  // Decision: a removed status breaks clients too (as openapi-diff says): the generated types that
  // callers handle for it disappear. An old server that still sends it no longer conforms.
  'response.status-code.add': { impacts: NONE_BREAKING, says: 'documented status added' },
  'response.status-code.remove': { impacts: { clients: 'breaking', servers: 'breaking' }, says: 'documented status removed' },
  'unclassified.add': { impacts: NONE_BREAKING, says: 'unclassified addition (x- property)' },
  'unclassified.remove': { impacts: NONE_BREAKING, says: 'unclassified removal (x- property)' },
};

/** Down-converts a bundled 3.1 document to 3.0 for openapi-diff. */
function toOpenApi30(doc: OpenApiDoc): string {
  const down = new Converter(structuredClone(doc), { allOfTransform: false }).convert() as Record<string, unknown>;
  // `info.summary` is 3.1-only and the converter keeps it; the library's 3.0 schema rejects it.
  const info = { ...(down.info as Record<string, unknown>) };
  delete info.summary;
  return JSON.stringify({ ...down, info });
}

/** `paths./api/v1/links/upsert.post.responses.401` → operation, body and status wording. */
function describeLocation(location: string): { where: string; status?: string } {
  const m = /^paths\.(.+?)\.(get|put|post|delete|options|head|patch|trace)(?:\.(requestBody|responses)(?:\.([^.]+))?)?/.exec(location);
  if (!m) return { where: location };
  const [, path, method, part, status] = m;
  const op = `${method!.toUpperCase()} ${path}`;
  if (part === 'requestBody') return { where: `${op} request` };
  if (part === 'responses') return { where: status ? `${op} response ${status}` : `${op} responses`, status };
  return { where: op };
}

function toChange(result: LibraryResult): SpecChange {
  const code = CODES[result.code];
  const location = result.sourceSpecEntityDetails[0]?.location ?? result.destinationSpecEntityDetails[0]?.location ?? '';
  const { where, status } = describeLocation(location);
  const says = result.code.startsWith('response.status-code') && status ? `${code.says}: ${status}` : code.says;
  return { rule: result.code, where, pointer: '', message: says, ...code.impacts, source: 'openapi-diff', counted: true };
}

/** Runs openapi-diff on two bundled documents and returns its findings as classified changes. */
export async function libraryChanges(base: OpenApiDoc, head: OpenApiDoc): Promise<SpecChange[]> {
  const outcome = await openapiDiff.diffSpecs({
    sourceSpec: { content: toOpenApi30(base), location: 'base', format: 'openapi3' },
    destinationSpec: { content: toOpenApi30(head), location: 'head', format: 'openapi3' },
  });
  const all: LibraryResult[] = [
    ...(outcome.breakingDifferencesFound ? outcome.breakingDifferences : []),
    ...outcome.nonBreakingDifferences,
    ...outcome.unclassifiedDifferences,
  ];
  return all.map(toChange);
}
