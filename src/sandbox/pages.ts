/**
 * The hosted pages of the sandbox: the pre-filled referral form a link opens, and the pages for a
 * used/expired link (410) and a malformed link (404). Every value is HTML-escaped; the only inline
 * content is one stylesheet, allowed by its CSP hash; no scripts, no external resources.
 */
import { createHash } from 'node:crypto';
import {
  clinicTypeValues,
  nationalityValues,
  patientGenderValues,
  referrerIdTypeValues,
  referrerInstitutionIdTypeValues,
  residentialStatusValues,
  type Address,
  type ReferralUpsertLinkRequest,
} from '../../generated/schema.ts';

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;background:#f3f5f9}
.banner{background:#fff4d6;border-bottom:2px solid #e0a800;padding:.6rem 1rem;font-weight:600;text-align:center}
main{max-width:52rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}
.meta{color:#5b6478;margin:0 0 1.25rem}
fieldset{background:#fff;border:1px solid #d5dae3;border-radius:8px;padding:1rem 1.25rem 1.25rem;margin:0 0 1.25rem}
legend{font-weight:700;padding:0 .4rem}
fieldset fieldset{border-style:dashed;margin:.5rem 0 0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.75rem 1rem}
.field{display:flex;flex-direction:column}
.field.check{flex-direction:row;align-items:center;gap:.5rem}
.field.wide{grid-column:1/-1}
label{font-size:.85rem;font-weight:600;color:#39425a}
input,select,textarea{font:inherit;font-weight:400;margin-top:.25rem;padding:.45rem .55rem;border:1px solid #b9c1cf;border-radius:6px;background:#fbfcfe;color:inherit}
.check input{margin:0}
textarea{min-height:6rem;resize:vertical}
.actions{display:flex;align-items:center;gap:1rem}
button{font:inherit;font-weight:600;padding:.55rem 1.2rem;border:0;border-radius:6px;background:#0b5cad;color:#fff}
button:disabled{background:#8aa6c4}
.notice{background:#fff;border:1px solid #d5dae3;border-radius:8px;padding:1.5rem}
`;

/** The CSP source of the inline stylesheet, e.g. `sha256-…`. */
export const STYLE_HASH = `sha256-${createHash('sha256').update(CSS).digest('base64')}`;

const TITLE = 'RefX referral form (sandbox)';
const BANNER = 'Sandbox — not the real RefX. Test data only; nothing is submitted anywhere.';

function layout(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${CSS}</style></head>` +
    `<body><div class="banner" role="note">${escapeHtml(BANNER)}</div><main>${body}</main></body></html>`
  );
}

type Prefill = ReferralUpsertLinkRequest;
type Field = keyof Prefill;

/** Element id of a field: its name with `.` replaced (names are ours, never client input). */
const idOf = (name: string): string => `f-${name.replace('.', '-')}`;

// Labels are tied to controls by for/id (not by nesting) so that a control's accessible name is
// exactly its label, also for selects and textareas.
function input(label: string, name: string, value: string | undefined, type = 'text'): string {
  return (
    `<div class="field"><label for="${idOf(name)}">${escapeHtml(label)}</label>` +
    `<input type="${type}" id="${idOf(name)}" name="${name}" value="${escapeHtml(value ?? '')}"></div>`
  );
}

function select(label: string, name: string, options: readonly string[], value: string | undefined): string {
  const known = value !== undefined && options.includes(value);
  const opts = [`<option value=""${known ? '' : ' selected'}>— select —</option>`]
    .concat(options.map((o) => `<option${o === value ? ' selected' : ''}>${escapeHtml(o)}</option>`))
    .join('');
  return (
    `<div class="field"><label for="${idOf(name)}">${escapeHtml(label)}</label>` +
    `<select id="${idOf(name)}" name="${name}">${opts}</select></div>`
  );
}

/** Labels of the text inputs, typed against the generated request type. */
const TEXT_LABELS: { [K in Field]?: string } = {
  referrerInstitutionName: 'Institution',
  referrerInstitutionId: 'Institution ID (HCI code)',
  referrerName: 'Referring doctor',
  referrerId: 'Doctor ID',
  referrerEmail: 'Doctor email',
  referrerContactNumber: 'Doctor contact number',
  requesterIdentifier: 'Requested by',
  patientName: 'Name',
  patientUin: 'NRIC / FIN',
  patientPhoneNumber: 'Phone number',
  clinicLicenseNumber: 'Clinic licence number',
};
const ADDRESS_LABELS: Record<keyof Address, string> = {
  postalCode: 'Postal code',
  block: 'Block / house no.',
  streetName: 'Street name',
  floorNumber: 'Floor',
  unitNumber: 'Unit',
};

function text(p: Prefill, field: Field): string {
  const value = p[field];
  return input(TEXT_LABELS[field] ?? field, field, typeof value === 'string' ? value : undefined);
}

/** The hosted referral form, pre-filled with `prefill`. */
export function referralFormPage(referralId: string, p: Prefill): string {
  const address = p.address;
  const referrer =
    `<fieldset><legend>Referrer</legend><div class="grid">` +
    text(p, 'referrerInstitutionName') +
    text(p, 'referrerInstitutionId') +
    select('Institution ID type', 'referrerInstitutionIdType', referrerInstitutionIdTypeValues, p.referrerInstitutionIdType) +
    text(p, 'referrerName') +
    text(p, 'referrerId') +
    select('Doctor ID type', 'referrerIdType', referrerIdTypeValues, p.referrerIdType) +
    text(p, 'referrerEmail') +
    text(p, 'referrerContactNumber') +
    text(p, 'requesterIdentifier') +
    `</div></fieldset>`;
  const addressSet =
    `<fieldset class="wide"><legend>Address</legend><div class="grid">` +
    (Object.keys(ADDRESS_LABELS) as (keyof Address)[])
      .map((k) => input(ADDRESS_LABELS[k], `address.${k}`, address?.[k]))
      .join('') +
    `</div></fieldset>`;
  const patient =
    `<fieldset><legend>Patient</legend><div class="grid">` +
    text(p, 'patientName') +
    text(p, 'patientUin') +
    input('Date of birth', 'patientDob', p.patientDob, 'date') +
    text(p, 'patientPhoneNumber') +
    select('Gender', 'patientGender', patientGenderValues, p.patientGender) +
    select('Residential status', 'residentialStatus', residentialStatusValues, p.residentialStatus) +
    select('Nationality', 'nationality', nationalityValues, p.nationality) +
    `</div>${addressSet}<div class="grid">` +
    text(p, 'clinicLicenseNumber') +
    select('Clinic type', 'clinicType', clinicTypeValues, p.clinicType) +
    `<div class="field check"><input type="checkbox" id="f-isPatientHsgEnrolled" name="isPatientHsgEnrolled"${p.isPatientHsgEnrolled ? ' checked' : ''}>` +
    `<label for="f-isPatientHsgEnrolled">Enrolled in Healthier SG</label></div>` +
    `<div class="field wide"><label for="f-clinicalInfo">Clinical information</label>` +
    `<textarea id="f-clinicalInfo" name="clinicalInfo">\n${escapeHtml(p.clinicalInfo ?? '')}</textarea></div>` +
    `</div></fieldset>`;
  return layout(
    TITLE,
    `<h1>New referral</h1><p class="meta">Draft <code>${escapeHtml(referralId)}</code>, pre-filled by the referring system. Check the details before submitting.</p>` +
      `<form method="post" action="#" autocomplete="off">${referrer}${patient}` +
      `<div class="actions"><button type="submit" disabled>Submit referral</button>` +
      `<span class="meta">Submitting is not simulated by the sandbox.</span></div></form>`,
  );
}

/** The 410 page: the link was used, expired or replaced by a newer one. */
export function linkGonePage(): string {
  return layout(
    'Link no longer valid — RefX (sandbox)',
    `<div class="notice"><h1>This link is no longer valid</h1>` +
      `<p>Referral links can be opened once and expire 15 minutes after they are created. ` +
      `This one has already been used, has expired, or was replaced by a newer link.</p>` +
      `<p>Go back to your clinic system and request a new link.</p></div>`,
  );
}

/** The 404 page: the address is not a referral link (no or malformed token). */
export function linkNotFoundPage(): string {
  return layout(
    'Page not found — RefX (sandbox)',
    `<div class="notice"><h1>Page not found</h1>` +
      `<p>This address is not a valid referral link. Open the link exactly as your clinic system gave it, ` +
      `or request a new one.</p></div>`,
  );
}
