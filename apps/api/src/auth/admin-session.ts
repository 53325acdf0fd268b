import { SetMetadata } from '@nestjs/common';

/**
 * The queue dashboard's session cookie. A browser cannot send a bearer header to a page, so the operator exchanges
 * their bearer token for this cookie (POST /admin/session). HttpOnly (no script reads it), SameSite=Strict (no other
 * site's page makes the browser send it), Path=/admin (never sent to /graphql), Secure in production, and short-lived.
 */
export const ADMIN_SESSION_COOKIE = 'tasuki_admin';
export const ADMIN_COOKIE_PATH = '/admin';

export const ACCEPTS_ADMIN_SESSION_KEY = 'tasuki:accepts-admin-session';

/** Marks a handler whose caller may authenticate with the dashboard's cookie instead of a bearer token. */
export const AcceptsAdminSession = () => SetMetadata(ACCEPTS_ADMIN_SESSION_KEY, true);

export function adminSessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  const attributes = [`Max-Age=${maxAgeSeconds}`, `Path=${ADMIN_COOKIE_PATH}`, 'HttpOnly', 'SameSite=Strict'];
  if (secure) attributes.push('Secure');
  return [`${ADMIN_SESSION_COOKIE}=${token}`, ...attributes].join('; ');
}

/** The cookie's value in a Cookie header, if present. */
export function readAdminSession(cookieHeader: string | undefined): string | undefined {
  for (const part of cookieHeader?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === ADMIN_SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
