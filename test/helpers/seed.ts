import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

export const SEED_FILE = join(
  __dirname,
  '..',
  '..',
  '..',
  'test',
  'fixtures',
  'seeds',
  'secure-external-mcp-gateway.yaml',
);

export const SEED_ENV: Record<string, string> = {
  DECK_KONNECT_MCP_HOST: 'konnect-mcp.example.test',
  DECK_OAUTH_AUTH_SERVER: 'http://127.0.0.1:3910',
  DECK_OAUTH_INTROSPECTION_URL: 'http://127.0.0.1:3910/token/introspection',
  DECK_OAUTH_CLIENT_ID: 'gateway',
  DECK_OAUTH_CLIENT_SECRET: 'gateway-secret',
  DECK_KONNECT_MCP_TOKEN: 'kpat_stored_credential',
};

/** The seed's decK file, `${{ env "DECK_X" }}` substituted from SEED_ENV. */
export function loadSeed(env = SEED_ENV): any {
  const text = readFileSync(SEED_FILE, 'utf8').replace(/\$\{\{\s*env\s+"([A-Z0-9_]+)"\s*\}\}/g, (_, name) => {
    if (!(name in env)) throw new Error(`missing ${name}`);
    return env[name];
  });
  return YAML.parse(text);
}

/** The seed file with the two GitHub services pointed at the fixture. */
export function seedPointedAt(fixtureUrl: string): string {
  const u = new URL(fixtureUrl);
  const text = readFileSync(SEED_FILE, 'utf8');
  const pointed = text.replace(
    /host: api\.githubcopilot\.com\n(\s+)port: 443\n\s+protocol: https/g,
    (_m, indent) => `host: ${u.hostname}\n${indent}port: ${u.port}\n${indent}protocol: http`,
  );
  if (pointed.split(u.hostname).length !== 3) throw new Error('expected two GitHub services in the seed');
  return pointed;
}
