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

/**
 * The token a request carries: `Authorization: Bearer <token>`, else (with `query`: WebSocket
 * upgrades, for clients that cannot set headers) the `token` query parameter.
 */
function requestToken(req: IncomingMessage, query: boolean): string | undefined {
  const header = req.headers.authorization;
  const bearer = header && /^Bearer\s+(.+)$/i.exec(header.trim());
  if (bearer) return bearer[1]!.trim();
  return query ? (new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined) : undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when no token is required, or the request carries it (compared in constant time). */
export function authorized(req: IncomingMessage, token: string | undefined, options: { query?: boolean } = {}): boolean {
  if (token === undefined) return true;
  const given = requestToken(req, options.query ?? false);
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

/**
 * A server on a loopback address answers only requests addressed to a loopback name: a web page
 * whose domain was re-pointed at 127.0.0.1 (DNS rebinding) sends its own domain as Host.
 */
export function hostAllowed(req: IncomingMessage, listening: string): boolean {
  if (!isLoopback(listening)) return true;
  const header = req.headers.host;
  if (header === undefined) return true;
  let name: string;
  try {
    name = new URL(`http://${header}`).hostname;
  } catch {
    return false;
  }
  return isLoopback(name);
}
