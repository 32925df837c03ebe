/**
 * spec-diff > RefX history: real version pairs from the contract's field history, each with the
 * classification a reviewer would give it (test/spec-diff/fixtures/<version>/openapi.yaml).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { bundleSpec } from '../../scripts/generate.ts';
import { diffSpecs, type SpecChange, type TypeChanges } from '../../scripts/spec-diff/index.ts';

const fixture = (version: string): Promise<Record<string, unknown>> =>
  bundleSpec(fileURLToPath(new URL(`fixtures/${version}/openapi.yaml`, import.meta.url)));

/** A change as the tests compare it: who it breaks, which rule, where. */
const brief = (c: SpecChange): string => `${c.counted ? '' : '(info) '}${c.clients}/${c.servers} ${c.source}:${c.rule} ${c.where}${c.pointer ? ` ${c.pointer}` : ''}`;

interface Case {
  base: string;
  head: string;
  want: { changes: string[]; breaking: { clients: boolean; servers: boolean }; types: TypeChanges; versionOk: boolean };
}

const cases: [string, Case][] = [
  [
    '0.0.59 → 0.0.61: requesterIdentifier becomes required (breaking for clients), response type narrowed to upsert, 400 documented',
    {
      base: '0.0.59',
      head: '0.0.61',
      want: {
        changes: [
          'breaking/non-breaking refx-rules:request.property.made-required POST /api/v1/links/upsert request /requesterIdentifier',
          '(info) breaking/non-breaking openapi-diff:request.body.scope.remove POST /api/v1/links/upsert request',
          'non-breaking/breaking refx-rules:response.enum.added POST /api/v1/links/upsert response 200 /type',
          'non-breaking/non-breaking openapi-diff:response.status-code.add POST /api/v1/links/upsert response 400',
        ],
        breaking: { clients: true, servers: true },
        // The inline `type` enum brings a new exported value list.
        types: {
          changed: ['ReferralUpsertLinkDto', 'ReferralUpsertLinkRequest', 'operations["createUpsertLink"]'],
          added: ['referralUpsertLinkDtoTypeValues'],
          removed: [],
        },
        // 0.0.x: every patch bump is a compatibility bump, so RefX's numbering follows the policy.
        versionOk: true,
      },
    },
  ],
  [
    '0.0.61 → 0.0.62: clinicType gains "CHAS and Healthier SG" (not breaking for clients, breaking for servers)',
    {
      base: '0.0.61',
      head: '0.0.62',
      want: {
        changes: ['non-breaking/breaking refx-rules:request.enum.value-added POST /api/v1/links/upsert request /clinicType'],
        breaking: { clients: false, servers: true },
        types: { changed: ['ClinicType', 'clinicTypeValues'], added: [], removed: [] },
        versionOk: true,
      },
    },
  ],
  [
    '0.0.62 → 0.0.59 (a rollback): every change reverses its audience, and the version going down fails the policy',
    {
      base: '0.0.62',
      head: '0.0.59',
      want: {
        changes: [
          'breaking/breaking openapi-diff:response.status-code.remove POST /api/v1/links/upsert response 400',
          'breaking/non-breaking refx-rules:request.enum.value-removed POST /api/v1/links/upsert request /clinicType',
          'breaking/non-breaking refx-rules:response.enum.removed POST /api/v1/links/upsert response 200 /type',
          '(info) non-breaking/breaking openapi-diff:request.body.scope.add POST /api/v1/links/upsert request',
          'non-breaking/breaking refx-rules:request.property.made-optional POST /api/v1/links/upsert request /requesterIdentifier',
        ],
        breaking: { clients: true, servers: true },
        types: {
          changed: ['ClinicType', 'ReferralUpsertLinkDto', 'ReferralUpsertLinkRequest', 'clinicTypeValues', 'operations["createUpsertLink"]'],
          added: [],
          removed: ['referralUpsertLinkDtoTypeValues'],
        },
        versionOk: false,
      },
    },
  ],
];

describe('spec-diff > RefX history', () => {
  test.each(cases)('spec-diff > RefX history > %s', async (_name, { base, head, want }) => {
    const diff = await diffSpecs(await fixture(base), await fixture(head));
    expect(diff.changes.map(brief).sort()).toEqual([...want.changes].sort());
    expect(diff.breaking).toEqual(want.breaking);
    expect(diff.breakingForGate).toBe(want.breaking.clients);
    expect(diff.types).toEqual(want.types);
    expect(diff.version.ok).toBe(want.versionOk);
    expect([diff.baseVersion, diff.headVersion]).toEqual([base, head]);
  });

  test('spec-diff > RefX history > a version compared with itself has no changes and needs no bump', async () => {
    const doc = await fixture('0.0.62');
    const diff = await diffSpecs(doc, structuredClone(doc));
    expect(diff.changes).toEqual([]);
    expect(diff.types).toEqual({ changed: [], added: [], removed: [] });
    expect(diff.version).toMatchObject({ ok: true, required: 'none' });
  });
});
