/**
 * Planted-defect servers: one small node:http implementation of the upsert endpoint that behaves
 * like the sandbox (ApiKey auth, validation by src/validation.ts, same-key upserts keep their
 * referralId, single-use links on the same origin), with a `defect` switch that breaks exactly one
 * rule. `defect: 'none'` is the conforming reference server. The contract run must fail on every
 * defect with the expected check and violation, and pass the reference.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateUpsertRequest, type Violation } from '../../src/validation.ts';

/** Each way a planted server breaks the contract (`none`: it does not). */
export const DEFECTS = [
  'none',
  'wrong-success-status',
  'missing-response-field',
  'response-type-outside-enum',
  'url-not-a-uri',
  'relative-url',
  'accepts-missing-required-field',
  'accepts-bad-phone',
  'accepts-unknown-enum-value',
  'accepts-bad-date',
  'accepts-no-auth',
  'accepts-wrong-scheme',
  'accepts-unknown-key',
  'server-error-on-malformed-json',
  'non-json-content-type',
  'invalid-error-body',
  'undocumented-error-status',
  'rejects-valid-optional-field',
  'rejects-valid-enum-value',
  'rejects-edge-case-phone',
  'rejects-non-ascii-name',
  'rejects-long-text',
  'accepts-non-object-body',
  'new-referral-every-upsert',
  'reusable-link',
  'hangs-on-long-text',
  'endless-response-on-malformed-json',
] as const;

/** One planted defect. */
export type Defect = (typeof DEFECTS)[number];

/** A running planted server. */
export interface PlantedServer {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** The API key it accepts (send as `ApiKey <key>`). */
  apiKey: string;
  /** Stops the server. */
  close(): Promise<void>;
}

const json = (res: http.ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8'): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const errorBody = (status: number, message: string | string[], error: string) => ({ statusCode: status, message, error });

/** Drops the violations a defect pretends not to see. */
function ignored(defect: Defect, v: Violation): boolean {
  switch (defect) {
    case 'accepts-missing-required-field':
      return v.rule === 'required';
    case 'accepts-bad-phone':
      return v.rule === 'pattern' && v.pointer === '/patientPhoneNumber';
    case 'accepts-unknown-enum-value':
      return v.rule === 'enum';
    case 'accepts-bad-date':
      return v.rule === 'format';
    default:
      return false;
  }
}

/** Extra rejections a defect adds to valid bodies (test fixtures, not spec constraints). */
function wronglyRejects(defect: Defect, body: Record<string, unknown>): string | undefined {
  switch (defect) {
    case 'rejects-valid-optional-field':
      return 'clinicalInfo' in body ? 'clinicalInfo is not supported' : undefined;
    case 'rejects-valid-enum-value':
      return body.clinicType === 'CHAS and Healthier SG' ? 'clinicType is invalid' : undefined;
    case 'rejects-edge-case-phone':
      return typeof body.patientPhoneNumber === 'string' && body.patientPhoneNumber.startsWith('3') ? 'patientPhoneNumber is invalid' : undefined;
    case 'rejects-non-ascii-name':
      // eslint-disable-next-line no-control-regex
      return typeof body.patientName === 'string' && /[^\x00-\x7f]/.test(body.patientName) ? 'patientName is invalid' : undefined;
    case 'rejects-long-text':
      return Object.values(body).some((v) => typeof v === 'string' && v.length > 5000) ? 'text too long' : undefined;
    default:
      return undefined;
  }
}

/** Streams JSON-ish bytes until the client gives up (the run's response cap must end it). */
function endless(res: http.ServerResponse): void {
  res.writeHead(400, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const timer = setInterval(() => res.write(chunk), 1);
  res.on('close', () => clearInterval(timer));
}

/** Starts a planted server on 127.0.0.1 with an ephemeral port. */
export async function startPlantedServer(defect: Defect): Promise<PlantedServer> {
  const apiKey = `planted-${randomUUID()}`;
  const drafts = new Map<string, string>();
  const links = new Map<string, boolean>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
      const path = new URL(req.url ?? '/', origin).pathname;

      if (req.method === 'GET' && path.startsWith('/links/')) {
        const token = path.slice('/links/'.length);
        const unused = links.get(token);
        if (unused === undefined) return json(res, 404, errorBody(404, 'Not Found', 'Not Found'));
        if (!unused) {
          res.writeHead(410, { 'content-type': 'text/html' }).end('<h1>This link has already been used</h1>');
          return;
        }
        if (defect !== 'reusable-link') links.set(token, false);
        res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Referral form</h1>');
        return;
      }
      if (req.method !== 'POST' || path !== '/api/v1/links/upsert') return json(res, 404, errorBody(404, 'Not Found', 'Not Found'));

      const auth = req.headers.authorization;
      const authorised =
        auth === `ApiKey ${apiKey}` ||
        (defect === 'accepts-no-auth' && (auth === undefined || auth === '')) ||
        (defect === 'accepts-wrong-scheme' && (auth === apiKey || auth === `Bearer ${apiKey}`)) ||
        (defect === 'accepts-unknown-key' && typeof auth === 'string' && auth.startsWith('ApiKey '));
      if (!authorised) return json(res, 401, errorBody(401, 'Missing or invalid Authorization header', 'Unauthorized'));

      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
      if (type !== 'application/json') return json(res, 415, errorBody(415, 'Unsupported Media Type', 'Unsupported Media Type'));
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        if (defect === 'endless-response-on-malformed-json') return endless(res);
        if (defect === 'server-error-on-malformed-json') return json(res, 500, errorBody(500, 'Internal server error', 'Internal Server Error'));
        return json(res, 400, errorBody(400, 'Malformed JSON', 'Bad Request'));
      }
      const result = validateUpsertRequest(body);
      const violations = result.ok ? [] : result.violations.filter((v) => !ignored(defect, v));
      const nonObject = body === null || typeof body !== 'object' || Array.isArray(body);
      if (violations.length > 0 && !(defect === 'accepts-non-object-body' && nonObject)) {
        if (defect === 'invalid-error-body') return json(res, 400, { statusCode: '400', message: 42 });
        if (defect === 'undocumented-error-status') return json(res, 422, errorBody(422, violations.map((v) => v.message), 'Unprocessable Entity'));
        return json(res, 400, errorBody(400, violations.map((v) => v.message), 'Bad Request'));
      }
      const fields = (nonObject ? {} : body) as Record<string, unknown>;
      // Never answers: the run must end this request by its timeout, not hang.
      if (defect === 'hangs-on-long-text' && Object.values(fields).some((v) => typeof v === 'string' && v.length > 5000)) return;
      const refusal = wronglyRejects(defect, fields);
      if (refusal) return json(res, 400, errorBody(400, [refusal], 'Bad Request'));

      // Sandbox decision: the same institution + referrer + patient UIN is the same draft.
      const key = typeof fields.patientUin === 'string' ? `${String(fields.referrerInstitutionId)}|${String(fields.referrerId)}|${fields.patientUin}` : undefined;
      let referralId = key && defect !== 'new-referral-every-upsert' ? drafts.get(key) : undefined;
      if (!referralId) {
        referralId = `ref-${randomUUID()}`;
        if (key) drafts.set(key, referralId);
      }
      const token = randomUUID();
      links.set(token, true);
      const dto: Record<string, unknown> = { referralId, url: `${origin}/links/${token}`, type: 'upsert' };
      if (defect === 'missing-response-field') delete dto.referralId;
      if (defect === 'response-type-outside-enum') dto.type = 'link';
      if (defect === 'url-not-a-uri') dto.url = `links ${token}`;
      if (defect === 'relative-url') dto.url = `/links/${token}`;
      if (defect === 'non-json-content-type') return json(res, 200, dto, 'text/plain');
      return json(res, defect === 'wrong-success-status' ? 201 : 200, dto);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
