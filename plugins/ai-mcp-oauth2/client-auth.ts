/**
 * How the gateway authenticates itself to the authorization server (RFC 6749 §2.3.1): HTTP
 * Basic with the form-encoded id and secret, or both in the body; `none` sends the id alone.
 */
export function addClientAuth(
  form: Record<string, string>,
  headers: Record<string, string>,
  method: string | null | undefined,
  id: string | null | undefined,
  secret: string | null | undefined,
): void {
  if (!id) return;
  if (method === 'client_secret_post') {
    form.client_id = id;
    if (secret) form.client_secret = secret;
  } else if (method === 'none') {
    form.client_id = id;
  } else {
    const basic = `${encodeURIComponent(id)}:${encodeURIComponent(secret ?? '')}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  }
}
