/**
 * client > types: what the compiler accepts and refuses. Each refusal has exactly one
 * `@ts-expect-error`, on the one line that must fail (no test.each for type tests).
 */
import { describe, expectTypeOf, test } from 'vitest';
import {
  createRefxClient,
  nationalityValues,
  referrerIdTypeValues,
  type CreateUpsertLinkResult,
  type ErrorBody,
  type Nationality,
  type RefxAuth,
  type ReferralUpsertLinkDto,
  type ReferralUpsertLinkRequest,
  type ReferrerIdType,
} from '../../src/index.ts';

const refx = createRefxClient({ baseUrl: 'http://127.0.0.1:4000', auth: { apiKey: 'k' } });

describe('client > types > request body', () => {
  test('the documentation example compiles', () => {
    const body: ReferralUpsertLinkRequest = {
      referrerInstitutionId: 'S1234A',
      referrerInstitutionIdType: 'hci',
      referrerInstitutionName: 'Singapore General Hospital',
      referrerId: 'MCR12345A',
      requesterIdentifier: 'dr.jane.doe@example.com',
      referrerIdType: 'mcr',
      referrerName: 'Dr. Jane Doe',
    };
    expectTypeOf(refx.createUpsertLink).toBeCallableWith(body);
  });

  test('a misspelt field does not compile', () => {
    const body: ReferralUpsertLinkRequest = {
      // @ts-expect-error RefX 0.0.38's misspelling `refererInstitutionId` is not a field
      refererInstitutionId: 'S1234A',
      referrerInstitutionIdType: 'hci',
      referrerInstitutionName: 'Singapore General Hospital',
      referrerId: 'MCR12345A',
      requesterIdentifier: 'dr.jane.doe@example.com',
      referrerIdType: 'mcr',
      referrerName: 'Dr. Jane Doe',
    };
    expectTypeOf(body).toEqualTypeOf<ReferralUpsertLinkRequest>();
  });

  test('a wrong enum value does not compile', () => {
    const body: ReferralUpsertLinkRequest = {
      referrerInstitutionId: 'S1234A',
      referrerInstitutionIdType: 'hci',
      referrerInstitutionName: 'Singapore General Hospital',
      referrerId: 'MCR12345A',
      requesterIdentifier: 'dr.jane.doe@example.com',
      // @ts-expect-error `passport` is not a ReferrerIdType
      referrerIdType: 'passport',
      referrerName: 'Dr. Jane Doe',
    };
    expectTypeOf(body).toEqualTypeOf<ReferralUpsertLinkRequest>();
  });

  test('a missing required field does not compile', () => {
    // @ts-expect-error `requesterIdentifier` is required (since RefX 0.0.61)
    const body: ReferralUpsertLinkRequest = {
      referrerInstitutionId: 'S1234A',
      referrerInstitutionIdType: 'hci',
      referrerInstitutionName: 'Singapore General Hospital',
      referrerId: 'MCR12345A',
      referrerIdType: 'mcr',
      referrerName: 'Dr. Jane Doe',
    };
    expectTypeOf(body).toEqualTypeOf<ReferralUpsertLinkRequest>();
  });

  test('a nationality outside the spec list does not compile', () => {
    // @ts-expect-error RefX spells it `Cocos (Keeling)Islands`, without a space
    const nationality: Nationality = 'Cocos (Keeling) Islands';
    expectTypeOf(nationality).toEqualTypeOf<Nationality>();
  });

  test('createUpsertLink refuses an untyped object argument', () => {
    const loose = { referrerName: 'Dr. Jane Doe' };
    // @ts-expect-error a partial body is not a ReferralUpsertLinkRequest
    void refx.createUpsertLink(loose);
  });
});

describe('client > types > result', () => {
  test('ok narrows to the typed link, not ok to the typed error and its documented statuses', () => {
    expectTypeOf(refx.createUpsertLink).returns.resolves.toEqualTypeOf<CreateUpsertLinkResult>();
    type Ok = Extract<CreateUpsertLinkResult, { ok: true }>;
    type NotOk = Extract<CreateUpsertLinkResult, { ok: false }>;
    expectTypeOf<Ok['link']>().toEqualTypeOf<ReferralUpsertLinkDto>();
    expectTypeOf<Ok['status']>().toEqualTypeOf<200>();
    expectTypeOf<NotOk['error']>().toEqualTypeOf<ErrorBody>();
    expectTypeOf<NotOk['status']>().toEqualTypeOf<400 | 401>();
    expectTypeOf<ReferralUpsertLinkDto['type']>().toEqualTypeOf<'upsert'>();
  });

  test('the link is only reachable after checking ok', async () => {
    const result = await refx.createUpsertLink({} as ReferralUpsertLinkRequest);
    // @ts-expect-error `link` exists only on the ok branch
    void result.link;
    if (result.ok) expectTypeOf(result.link.url).toBeString();
    else expectTypeOf(result.error.message).toEqualTypeOf<string | string[] | undefined>();
  });
});

describe('client > types > enums and auth', () => {
  test('each enum is a type and a readonly array of exactly its values', () => {
    expectTypeOf(referrerIdTypeValues).toEqualTypeOf<readonly ReferrerIdType[]>();
    expectTypeOf(nationalityValues).toEqualTypeOf<readonly Nationality[]>();
    expectTypeOf<ReferrerIdType>().toEqualTypeOf<'mcr' | 'nric' | 'email' | 'brightUserId' | 'dcr'>();
  });

  test('auth is either an API key or a JWT signing key, not both shapes mixed up', () => {
    expectTypeOf<{ apiKey: string }>().toExtend<RefxAuth>();
    expectTypeOf<{ jwt: { keyName: string; privateKey: string; subject?: string } }>().toExtend<RefxAuth>();
    // @ts-expect-error a JWT credential needs a keyName
    const auth: RefxAuth = { jwt: { privateKey: 'pem' } };
    void auth;
  });
});
