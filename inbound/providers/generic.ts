import type { GenericHmacSettings } from '../../domain/source/providers';
import type { SchemeKey } from './scheme';
import type { InboundRequest, Verification } from './verification';
import { checkTolerance, decodeSignature, header, hmac, matchesAny, missingHeader, noMatch, parseUnixSeconds, refuse, verified } from './verification';

/**
 * Generic HMAC, as the source's settings say: the signature (hex or base64, after an optional prefix) in one header,
 * over the raw body, or over `<timestamp><separator><raw body>` when a timestamp header is named.
 * The secret is used as text, as most providers of this kind do.
 */
export const verifyGeneric = ({ key, toleranceSeconds }: SchemeKey, settings: GenericHmacSettings, request: InboundRequest): Verification => {
  const value = header(request, settings.headerName);
  if (value === null) return missingHeader(settings.headerName);
  if (settings.prefix !== null && !value.startsWith(settings.prefix)) {
    return refuse('malformed_header', `Header ${settings.headerName} does not start with ${settings.prefix}`);
  }
  const sent = decodeSignature(settings.prefix === null ? value : value.slice(settings.prefix.length), settings.encoding);
  if (settings.timestampHeader === null) {
    return matchesAny(hmac(settings.algorithm, key, request.rawBody), [sent]) ? verified('generic', null) : noMatch();
  }
  const timestamp = header(request, settings.timestampHeader);
  if (timestamp === null) return missingHeader(settings.timestampHeader);
  const seconds = parseUnixSeconds(timestamp);
  if (seconds === null) return refuse('malformed_header', `Header ${settings.timestampHeader} is not a Unix time`);
  const expected = hmac(settings.algorithm, key, `${timestamp.trim()}${settings.timestampSeparator}`, request.rawBody);
  if (!matchesAny(expected, [sent])) return noMatch();
  return checkTolerance(seconds, request, toleranceSeconds) ?? verified('generic', new Date(seconds * 1000));
};
