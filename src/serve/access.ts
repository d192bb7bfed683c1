import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Whether `host` only listens on this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The token a request carries: `Authorization: Bearer <token>`, else the `token` query parameter. */
function requestToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const bearer = header && /^Bearer\s+(.+)$/i.exec(header.trim());
  if (bearer) return bearer[1]!.trim();
  return new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when no token is required, or the request carries it (compared in constant time). */
export function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = requestToken(req);
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/**
 * Browsers send `Origin`; Python and Node clients do not. A web page the user opens must not reach
 * the sandboxes through the user's browser (cross-site WebSocket hijacking), so a request with an
 * Origin is refused unless that origin is allowed.
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  return origin === undefined || allowed.includes(origin) || allowed.includes('*');
}
