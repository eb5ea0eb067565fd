import { createHash } from 'node:crypto';
import type { Scheme } from './scheme';
import type { InboundRequest } from './verification';
import { bodyText, decodeSignature, header, hmac, matchesAny, missingHeader, noMatch, refuse, safeEqual, verified } from './verification';

/**
 * The parameters Twilio appends to the URL: each name then its value, names in sorted order (a repeated name's
 * values sorted too, as twilio-node's RequestValidator does), no separators.
 */
const signedParameters = (form: URLSearchParams): string => {
  const names = [...new Set(form.keys())].sort();
  return names.map((name) => form.getAll(name).sort().map((value) => name + value).join('')).join('');
};

/**
 * twilio-node checks the URL both with and without the scheme's default port: a proxy may have added or dropped it.
 * Worked on the text (the URL parser would drop a default port before we could see it).
 */
const urlVariants = (raw: string): string[] => {
  const match = /^(https?):\/\/([^/?#@]+?)(?::(\d+))?([/?#].*)?$/i.exec(raw);
  if (match === null) return [raw];
  const [, scheme = '', host = '', port, rest = ''] = match;
  const defaultPort = scheme.toLowerCase() === 'https' ? '443' : '80';
  if (port === undefined) return [raw, `${scheme}://${host}:${defaultPort}${rest}`];
  return port === defaultPort ? [raw, `${scheme}://${host}${rest}`] : [raw];
};

const isForm = (request: InboundRequest): boolean => (header(request, 'content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

/**
 * Twilio (https://www.twilio.com/docs/usage/webhooks/webhooks-security): `X-Twilio-Signature: <base64>`,
 * HMAC-SHA1 keyed with the auth token over the full URL Twilio called followed by the POST parameters (form bodies).
 * A JSON body is not in the parameters: the URL carries `bodySHA256=<hex SHA-256 of the body>`, which is checked.
 * No timestamp is signed.
 */
export const twilio: Scheme = {
  provider: 'twilio',
  defaultToleranceSeconds: null,
  verify: ({ key }, request) => {
    const value = header(request, 'x-twilio-signature');
    if (value === null) return missingHeader('x-twilio-signature');
    if (request.url === undefined) return refuse('missing_url', 'Twilio signs the URL it called, and the ingest passed none');
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return refuse('missing_url', 'Twilio signs the URL it called, and the ingest passed one that does not parse');
    }
    const bodyHash = url.searchParams.get('bodySHA256');
    let parameters = '';
    if (bodyHash !== null) {
      const actual = Buffer.from(createHash('sha256').update(request.rawBody).digest('hex'));
      if (!safeEqual(actual, Buffer.from(bodyHash.toLowerCase()))) return noMatch();
    } else if (isForm(request)) {
      parameters = signedParameters(new URLSearchParams(bodyText(request)));
    }
    const sent = decodeSignature(value, 'base64');
    const expected = urlVariants(request.url).map((variant) => hmac('sha1', key, variant, parameters));
    let found = false;
    for (const candidate of expected) if (matchesAny(candidate, [sent])) found = true;
    return found ? verified('twilio', null) : noMatch();
  },
};
