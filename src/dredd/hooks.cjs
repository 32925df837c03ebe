/**
 * Dredd hooks for the RefX upsert operation (Dredd loads hooks with `require`, hence CommonJS).
 *
 * Dredd builds one transaction per documented response (200, 400, 401) from the same request
 * example, so without hooks it sends the same valid, unauthenticated request three times. These
 * hooks turn each transaction into the request that really earns its status:
 * - 200: the documentation example with the caller's `Authorization`;
 * - 400: the same example with its first required property removed (read from the spec, never
 *   retyped here), with `Authorization`, so only the body is wrong;
 * - 401: the documentation example without any `Authorization` header.
 * A transaction for a status no hook knows how to provoke fails instead of being skipped, so no
 * documented response goes unchecked.
 *
 * Dredd 14's OpenAPI 3 reader hands Gavel no JSON Schema (a FIXME in @apielements/openapi3-parser
 * 0.16): left alone, Dredd only checks that the example's keys are present, not their types or
 * enums. So each transaction gets the spec's own response schema (references inlined, draft-07) as
 * `expected.bodySchema`; Gavel then validates types, `required`, `enum` and `format`. Before validation, `application/json; charset=utf-8`
 * (NestJS, Express) is normalised to `application/json`: Dredd compares Content-Type exactly.
 *
 * Environment:
 *   REFX_DREDD_AUTHORIZATION  the full Authorization value ("ApiKey k" or "Bearer jwt"); from the
 *                             environment so that no credential is on a command line
 *   REFX_DREDD_RESULTS        optional: file to which one JSON line per transaction is appended
 *   REFX_DREDD_SPEC           optional: the OpenAPI 3.0 JSON Dredd reads
 *                             (default: generated/openapi-3.0.json of this project)
 *
 * Standalone use: REFX_DREDD_AUTHORIZATION='ApiKey …' npx dredd generated/openapi-3.0.json <url>
 *   --hookfiles src/dredd/hooks.cjs
 */
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- Dredd requires hook files: CommonJS. */
/* global require, process, __dirname */
const { appendFileSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const hooks = require('hooks');

const UPSERT_PATH = '/api/v1/links/upsert';
const REDACTED = '<redacted>';
const authorization = process.env.REFX_DREDD_AUTHORIZATION ?? '';
const resultsPath = process.env.REFX_DREDD_RESULTS;
const specPath = process.env.REFX_DREDD_SPEC ?? join(__dirname, '..', '..', 'generated', 'openapi-3.0.json');

/** Follows a local `#/...` reference inside the spec. */
function resolve(spec, node) {
  let current = node;
  while (current && typeof current.$ref === 'string') {
    current = current.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((value, key) => (value === undefined ? undefined : value[key]), spec);
  }
  return current;
}

/** A copy of `node` with every reference inlined (the spec has no recursive schemas). */
function inline(spec, node, depth = 0) {
  if (depth > 32) throw new Error('schema nesting too deep (a recursive $ref?)');
  const target = resolve(spec, node);
  if (Array.isArray(target)) return target.map((item) => inline(spec, item, depth + 1));
  if (!target || typeof target !== 'object') return target;
  return Object.fromEntries(Object.entries(target).map(([key, value]) => [key, inline(spec, value, depth + 1)]));
}

const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const operation = spec.paths?.[UPSERT_PATH]?.post;
/** The request schema's required properties, in spec order. */
const requestSchema = resolve(spec, operation?.requestBody?.content?.['application/json']?.schema);
const requiredProperties = Array.isArray(requestSchema?.required) ? requestSchema.required : [];

/** The JSON Schema of the documented JSON body for `status`, for Gavel; undefined if none. */
function responseBodySchema(status) {
  const schema = resolve(spec, operation?.responses?.[status])?.content?.['application/json']?.schema;
  return schema ? { $schema: 'http://json-schema.org/draft-07/schema#', ...inline(spec, schema) } : undefined;
}

function setAuthorization(headers, value) {
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'authorization') delete headers[name];
  }
  if (value !== undefined) headers.Authorization = value;
}

/** Each documented status → how to turn Dredd's request into one that earns it. */
const provoke = {
  200(transaction) {
    setAuthorization(transaction.request.headers, authorization);
  },
  400(transaction) {
    setAuthorization(transaction.request.headers, authorization);
    const body = JSON.parse(transaction.request.body);
    const missing = requiredProperties.find((name) => name in body);
    if (missing === undefined) throw new Error('the spec lists no required request property to leave out');
    delete body[missing];
    transaction.request.body = JSON.stringify(body);
  },
  401(transaction) {
    setAuthorization(transaction.request.headers, undefined);
  },
};

hooks.beforeEach((transaction, done) => {
  const status = String(transaction.expected.statusCode);
  const build = provoke[status];
  if (!build) {
    transaction.fail = `no hook provokes a ${status} response; teach src/dredd/hooks.cjs how (it is documented, so it must be checked)`;
  } else if (!authorization && status !== '401') {
    transaction.fail = 'REFX_DREDD_AUTHORIZATION is not set: no credentials to send';
  } else {
    // Dredd skips non-2xx transactions of some API description formats by default; every documented
    // response is part of the contract here.
    transaction.skip = false;
    try {
      build(transaction);
      const bodySchema = responseBodySchema(status);
      if (bodySchema) transaction.expected.bodySchema = bodySchema;
    } catch (error) {
      transaction.fail = `cannot build the ${status} request: ${error.message}`;
    }
  }
  done();
});

// JSON is UTF-8 by definition (RFC 8259), and frameworks say so: only that parameter is dropped.
const JSON_WITH_UTF8 = /^\s*(application\/(?:[\w.-]+\+)?json)\s*;\s*charset\s*=\s*"?utf-8"?\s*$/i;

hooks.beforeEachValidation((transaction, done) => {
  const headers = transaction.real?.headers ?? {};
  for (const name of Object.keys(headers)) {
    const match = name.toLowerCase() === 'content-type' ? JSON_WITH_UTF8.exec(headers[name]) : null;
    if (match) headers[name] = match[1];
  }
  done();
});

/** String values of a JSON body (e.g. a link's URL and token), to keep out of recorded messages. */
function stringLeaves(text) {
  const leaves = [];
  const walk = (value) => {
    if (typeof value === 'string') leaves.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  try {
    walk(JSON.parse(text));
  } catch {
    // not JSON: nothing to collect
  }
  return leaves;
}

function redact(text, secrets) {
  let out = String(text ?? '');
  const credential = authorization.replace(/^\S+\s+/, '');
  for (const secret of [authorization, credential, ...secrets]) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out;
}

hooks.afterEach((transaction, done) => {
  if (resultsPath) {
    const test = transaction.test;
    const status = test?.status ?? (transaction.real ? 'fail' : 'error');
    const reasons = [test?.message, ...(transaction.errors ?? []).map((e) => e.message)].filter(Boolean);
    const message = redact(
      [...new Set(reasons)].join('; ') || (transaction.real ? '' : 'no response (the request failed)'),
      stringLeaves(transaction.real?.body),
    );
    const record = {
      name: transaction.name,
      expectedStatus: String(transaction.expected.statusCode),
      actualStatus: transaction.real?.statusCode,
      status: transaction.fail && status === 'pass' ? 'fail' : status,
      message: message.trim(),
    };
    appendFileSync(resultsPath, `${JSON.stringify(record)}\n`);
  }
  done();
});
