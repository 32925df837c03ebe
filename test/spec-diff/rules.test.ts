/**
 * spec-diff > change classes: each change class the issue lists, made by mutating the current
 * bundled spec, with the classification it must get. The expected list is the whole list: a rule
 * that starts reporting noise, or stops reporting a change, fails here.
 */
import { describe, expect, test } from 'vitest';
import { diffSpecs, type OpenApiDoc, type SpecChange } from '../../scripts/spec-diff/index.ts';
import { spec } from '../../src/spec.ts';

/** Loosely typed access to the bundle being mutated (tests only). */
type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const schemas = (d: Loose): Loose => d.components.schemas;
const request = (d: Loose): Loose => schemas(d).ReferralUpsertLinkRequest;
const response = (d: Loose): Loose => schemas(d).ReferralUpsertLinkDto;

const OP = 'POST /api/v1/links/upsert';
const brief = (c: SpecChange): string => `${c.counted ? '' : '(info) '}${c.clients}/${c.servers} ${c.source}:${c.rule} ${c.where}${c.pointer ? ` ${c.pointer}` : ''}`;

interface Case {
  given: (doc: Loose) => void;
  want: { changes: string[]; types?: string[] };
}

const cases: [string, Case][] = [
  ['request field removed (patientDob) breaks clients', {
    given: (d) => delete request(d).properties.patientDob,
    want: {
      changes: [
        `breaking/non-breaking refx-rules:request.property.removed ${OP} request /patientDob`,
        // json-schema-diff: without the property, any value is now accepted there.
        `(info) non-breaking/breaking openapi-diff:request.body.scope.add ${OP} request`,
      ],
      types: ['ReferralUpsertLinkRequest'],
    },
  }],
  ['optional request field made required (referrerEmail) breaks clients', {
    given: (d) => request(d).required.push('referrerEmail'),
    want: {
      changes: [
        `breaking/non-breaking refx-rules:request.property.made-required ${OP} request /referrerEmail`,
        `(info) breaking/non-breaking openapi-diff:request.body.scope.remove ${OP} request`,
      ],
      types: ['ReferralUpsertLinkRequest'],
    },
  }],
  ['new required request field breaks clients', {
    given: (d) => {
      request(d).properties.referralReason = { type: 'string', description: 'x' };
      request(d).required.push('referralReason');
    },
    want: {
      changes: [
        `breaking/non-breaking refx-rules:request.property.added-required ${OP} request /referralReason`,
        `(info) breaking/non-breaking openapi-diff:request.body.scope.remove ${OP} request`,
      ],
      types: ['ReferralUpsertLinkRequest'],
    },
  }],
  ['new optional request field breaks nobody', {
    given: (d) => (request(d).properties.referralReason = { type: 'string', description: 'x' }),
    want: {
      changes: [
        `non-breaking/non-breaking refx-rules:request.property.added-optional ${OP} request /referralReason`,
        `(info) breaking/non-breaking openapi-diff:request.body.scope.remove ${OP} request`,
      ],
      types: ['ReferralUpsertLinkRequest'],
    },
  }],
  ['required request field made optional breaks servers only', {
    given: (d) => (request(d).required = request(d).required.filter((f: string) => f !== 'requesterIdentifier')),
    want: {
      changes: [
        `non-breaking/breaking refx-rules:request.property.made-optional ${OP} request /requesterIdentifier`,
        `(info) non-breaking/breaking openapi-diff:request.body.scope.add ${OP} request`,
      ],
      types: ['ReferralUpsertLinkRequest'],
    },
  }],
  ['request enum value added (clinicType) breaks servers, not clients', {
    given: (d) => schemas(d).ClinicType.enum.push('CHAS and Community Health'),
    want: {
      changes: [`non-breaking/breaking refx-rules:request.enum.value-added ${OP} request /clinicType`],
      types: ['ClinicType', 'clinicTypeValues'],
    },
  }],
  ['request enum value removed (referrerIdType dcr) breaks clients', {
    given: (d) => (schemas(d).ReferrerIdType.enum = schemas(d).ReferrerIdType.enum.filter((v: string) => v !== 'dcr')),
    want: {
      changes: [`breaking/non-breaking refx-rules:request.enum.value-removed ${OP} request /referrerIdType`],
      types: ['ReferrerIdType', 'referrerIdTypeValues'],
    },
  }],
  ['request pattern tightened (patientPhoneNumber) breaks both: a regex cannot be proven only tighter', {
    given: (d) => (request(d).properties.patientPhoneNumber.pattern = '^[89][0-9]{7}$'),
    want: { changes: [`breaking/breaking refx-rules:request.pattern.changed ${OP} request /patientPhoneNumber`], types: [] },
  }],
  ['request pattern added (patientUin) breaks clients', {
    given: (d) => (request(d).properties.patientUin.pattern = '^[STFGM][0-9]{7}[A-Z]$'),
    want: { changes: [`breaking/non-breaking refx-rules:request.pattern.added ${OP} request /patientUin`], types: [] },
  }],
  ['request format added (referrerEmail email) breaks clients', {
    given: (d) => (request(d).properties.referrerEmail.format = 'email'),
    want: { changes: [`breaking/non-breaking refx-rules:request.format.added ${OP} request /referrerEmail`], types: [] },
  }],
  ['request maxLength added (clinicalInfo) breaks clients', {
    given: (d) => (request(d).properties.clinicalInfo.maxLength = 2000),
    want: {
      changes: [
        `breaking/non-breaking refx-rules:request.maxLength.added ${OP} request /clinicalInfo`,
        `(info) breaking/non-breaking openapi-diff:request.body.scope.remove ${OP} request`,
      ],
      types: [],
    },
  }],
  ['request type changed (isPatientHsgEnrolled boolean → string) breaks both', {
    given: (d) => (request(d).properties.isPatientHsgEnrolled.type = 'string'),
    want: {
      changes: [
        `breaking/breaking refx-rules:request.type.changed ${OP} request /isPatientHsgEnrolled`,
        `(info) breaking/non-breaking openapi-diff:request.body.scope.remove ${OP} request`,
        `(info) non-breaking/breaking openapi-diff:request.body.scope.add ${OP} request`,
      ],
      types: ['ReferralUpsertLinkRequest'],
    },
  }],
  ['nested request field removed (address.block) is named by its pointer', {
    given: (d) => {
      delete schemas(d).Address.properties.block;
      schemas(d).Address.required = schemas(d).Address.required.filter((f: string) => f !== 'block');
    },
    want: {
      changes: [
        `breaking/non-breaking refx-rules:request.property.removed ${OP} request /address/block`,
        `(info) non-breaking/breaking openapi-diff:request.body.scope.add ${OP} request`,
      ],
      types: ['Address'],
    },
  }],
  ['documented status removed (401) breaks clients and servers', {
    given: (d) => delete d.paths['/api/v1/links/upsert'].post.responses['401'],
    want: {
      changes: [`breaking/breaking openapi-diff:response.status-code.remove ${OP} response 401`],
      types: ['operations["createUpsertLink"]'],
    },
  }],
  ['response field removed (url) breaks clients', {
    given: (d) => {
      delete response(d).properties.url;
      response(d).required = ['referralId', 'type'];
    },
    want: {
      changes: [
        `breaking/non-breaking refx-rules:response.property.removed ${OP} response 200 /url`,
        `(info) breaking/non-breaking openapi-diff:response.body.scope.add ${OP} response 200`,
      ],
      types: ['ReferralUpsertLinkDto'],
    },
  }],
  ['response field made optional (url) breaks clients', {
    given: (d) => (response(d).required = ['referralId', 'type']),
    want: {
      changes: [
        `breaking/non-breaking refx-rules:response.property.made-optional ${OP} response 200 /url`,
        `(info) breaking/non-breaking openapi-diff:response.body.scope.add ${OP} response 200`,
      ],
      types: ['ReferralUpsertLinkDto'],
    },
  }],
  ['response enum value added (type) breaks clients: old callers validate and switch on it', {
    given: (d) => schemas(d).UpsertLinkType.enum.push('create'),
    want: {
      changes: [`breaking/non-breaking refx-rules:response.enum.value-added ${OP} response 200 /type`],
      types: ['UpsertLinkType', 'upsertLinkTypeValues'],
    },
  }],
  ['response format removed (url uri) breaks clients', {
    given: (d) => delete response(d).properties.url.format,
    want: { changes: [`breaking/non-breaking refx-rules:response.format.removed ${OP} response 200 /url`], types: [] },
  }],
  ['request body made optional breaks servers', {
    given: (d) => (d.paths['/api/v1/links/upsert'].post.requestBody.required = false),
    want: { changes: [`non-breaking/breaking refx-rules:request.body.made-optional ${OP} request`], types: ['operations["createUpsertLink"]'] },
  }],
  ['a reworded description or example changes nothing', {
    given: (d) => {
      request(d).properties.patientName.description = 'The patient name, as on the NRIC.';
      request(d).properties.patientName.examples = ['Lim Mei Ling'];
    },
    want: { changes: [], types: [] },
  }],
];

describe('spec-diff > change classes', () => {
  test.each(cases)('spec-diff > change classes > %s', async (_name, { given, want }) => {
    const head = structuredClone(spec) as unknown as Loose;
    given(head);
    const diff = await diffSpecs(spec as unknown as OpenApiDoc, head);
    expect(diff.changes.map(brief).sort()).toEqual([...want.changes].sort());
    if (want.types) expect(diff.types.changed).toEqual([...want.types].sort());
    // The exit code gates on clients by default.
    expect(diff.breakingForGate).toBe(diff.changes.some((c) => c.counted && c.clients === 'breaking'));
  });

  test('spec-diff > change classes > --fail-on servers gates on a request enum value added', async () => {
    const head = structuredClone(spec) as unknown as Loose;
    schemas(head).ClinicType.enum.push('CHAS and Community Health');
    const base = spec as unknown as OpenApiDoc;
    expect((await diffSpecs(base, head)).breakingForGate).toBe(false);
    expect((await diffSpecs(base, head, { failOn: 'servers' })).breakingForGate).toBe(true);
    expect((await diffSpecs(base, head, { failOn: 'any' })).breakingForGate).toBe(true);
  });

  test('spec-diff > change classes > the 255-value nationality enum names only the values that changed', async () => {
    const head = structuredClone(spec) as unknown as Loose;
    schemas(head).Nationality.enum = schemas(head).Nationality.enum.filter((v: string) => v !== 'Serb/Mont');
    const diff = await diffSpecs(spec as unknown as OpenApiDoc, head);
    expect(diff.changes.map((c) => c.message)).toEqual(['request `nationality` enum value removed: "Serb/Mont"']);
  });
});
