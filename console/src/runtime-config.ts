// What the console needs to know at run time, from `/config.js` (served by the control plane,
// loaded before the bundle): where the Admin API is and whether it wants a token. Nothing is
// read from the page URL: a link must not be able to point the console (and the token typed
// into it) at another server.
//
// The admin token lives in sessionStorage only (this tab, until it closes): never in a URL,
// a cookie or localStorage.

declare global {
  interface Window {
    __TOLLGATE_CONSOLE__?: { adminApiUrl?: string; authRequired?: boolean };
    __kuiEvents?: Array<{ t: number; page: string; event: string; payload?: unknown }>;
  }
}

const runtime = window.__TOLLGATE_CONSOLE__ ?? {};

export const ADMIN_API_URL = (
  runtime.adminApiUrl ?? `${window.location.protocol}//${window.location.hostname}:8001`
).replace(/\/+$/, '');

export const AUTH_REQUIRED = runtime.authRequired === true;

const TOKEN_STORAGE_KEY = 'tollgate.adminToken';

export const getAdminToken = (): string | null => sessionStorage.getItem(TOKEN_STORAGE_KEY);
export const setAdminToken = (token: string | null): void => {
  if (token) sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  else sessionStorage.removeItem(TOKEN_STORAGE_KEY);
};
