/**
 * The RefX contract kit's public surface: the typed client, its errors and credentials, the request,
 * response and error types and every enum (as a type and as a const array) from the generated
 * schema, the spec version, and the spec validator.
 */
export {
  createRefxClient,
  type CreateUpsertLinkResult,
  type RefxCallOptions,
  type RefxClient,
  type RefxClientOptions,
  type UpsertLinkErrorStatus,
} from './client/index.ts';
export {
  RefxAuthError,
  RefxClientError,
  RefxNetworkError,
  RefxResponseValidationError,
  RefxTimeoutError,
  RefxUnexpectedStatusError,
  RefxValidationError,
  type RefxClientErrorCode,
} from './client/errors.ts';
export {
  createAuthorizationProvider,
  normaliseApiKey,
  JWT_LIFETIME_SECONDS,
  JWT_RENEW_BEFORE_EXPIRY_SECONDS,
  type AuthorizationProvider,
  type RefxAuth,
} from './client/auth.ts';
export {
  clinicTypeValues,
  nationalityValues,
  patientGenderValues,
  referrerIdTypeValues,
  referrerInstitutionIdTypeValues,
  residentialStatusValues,
  upsertLinkTypeValues,
  type Address,
  type ClinicType,
  type ErrorBody,
  type Nationality,
  type PatientGender,
  type ReferralUpsertLinkDto,
  type ReferralUpsertLinkRequest,
  type ReferrerIdType,
  type ReferrerInstitutionIdType,
  type ResidentialStatus,
  type UpsertLinkType,
} from '../generated/schema.ts';
export { SPEC_VERSION } from './spec.ts';
export {
  DOCUMENTED_STATUSES,
  formatViolations,
  validateUpsertRequest,
  validateUpsertResponse,
  type ValidationResult,
  type Violation,
} from './validation.ts';
