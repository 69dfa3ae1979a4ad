/**
 * Sessions of an MCP server the gateway itself serves, kept in the session id: the state is
 * sealed (AES-256-GCM) into `Mcp-Session-Id`, so any data plane holding the key serves any
 * session and none stores one (agentgateway and Envoy AI Gateway do the same). The first secret
 * seals, every secret opens (rotation). A session is bound to the server (plugin) that opened it
 * and to the consumer who did: another consumer presenting it gets "not found".
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface SessionState {
  /** The protocol version negotiated at initialize. */
  protocolVersion: string;
  /** The consumer that opened it (id), or null. */
  consumer: string | null;
  /** Expiry, epoch seconds. */
  expires: number;
}

const PREFIX = 'tg1.';

function keyOf(secret: string | Buffer, server: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, purpose, server, 32));
}

/** The longest sealed value read (a client's text). */
const MAX_SEALED = 1024;

/**
 * Values sealed (AES-256-GCM) for one server and purpose: the first secret seals, every secret
 * opens (rotation); a value sealed for another server or purpose does not open.
 */
export class Sealed {
  private readonly keys: Buffer[];

  constructor(
    secrets: readonly (string | Buffer)[],
    private readonly server: string,
    purpose: string,
    private readonly prefix: string,
  ) {
    this.keys = secrets.map((s) => keyOf(s, server, purpose));
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0], iv);
    cipher.setAAD(Buffer.from(this.server));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return this.prefix + Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  open(id: string): unknown {
    if (!id.startsWith(this.prefix) || id.length > MAX_SEALED) return null;
    const raw = Buffer.from(id.slice(this.prefix.length), 'base64url');
    if (raw.length < 12 + 16 + 2) return null;
    const iv = raw.subarray(0, 12);
    const tag = raw.subarray(raw.length - 16);
    const sealed = raw.subarray(12, raw.length - 16);
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(Buffer.from(this.server));
        decipher.setAuthTag(tag);
        return JSON.parse(Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8'));
      } catch {
        // not this key
      }
    }
    return null;
  }
}

export class SessionSealer {
  private readonly sessions: Sealed;
  private readonly secrets: readonly (string | Buffer)[];

  constructor(
    secrets: readonly (string | Buffer)[],
    private readonly server: string,
    private readonly ttlSeconds: number,
  ) {
    if (!secrets.length) throw new Error('a session sealer needs a secret');
    this.secrets = secrets;
    this.sessions = new Sealed(secrets, server, 'tollgate-mcp-session', PREFIX);
  }

  open(protocolVersion: string, consumer: string | null, now = Date.now()): string {
    const state: SessionState = {
      protocolVersion,
      consumer,
      expires: Math.floor(now / 1000) + Math.max(1, Math.floor(this.ttlSeconds)),
    };
    return this.sessions.seal(state);
  }

  /** The session's state, or null when it is not one of this server's, or expired. */
  read(id: string, now = Date.now()): SessionState | null {
    const state = this.sessions.open(id) as SessionState | null;
    if (!state || typeof state.expires !== 'number' || state.expires * 1000 <= now) return null;
    return state;
  }

  /**
   * Another kind of value this server hands clients and must get back unchanged (a task
   * handle), sealed with the same secrets for its own purpose: every data plane holding them
   * opens it, and nothing sealed for one purpose opens as another.
   */
  sealerFor(purpose: string, prefix: string): Sealed {
    return new Sealed(this.secrets, this.server, `tollgate-mcp-${purpose}`, prefix);
  }
}

/** A random secret for one process (sessions then last as long as it, and stay on it). */
export function processSecret(): Buffer {
  return randomBytes(32);
}
