/**
 * Judging a passthrough POST body: parsed strictly, what cannot be read refused, every tool call
 * through the guard chain, each message recorded for analytics (and audit). A denied call is
 * answered by the gateway and never forwarded; a batch with one is refused whole.
 */
import type { RequestContextApi } from '../../data-plane/runtime/plugin-api';
import {
  JSONRPC_ERRORS,
  jsonRpcError,
  parseJsonRpcBody,
  type JsonRpcId,
  type JsonRpcMessage,
} from '../../data-plane/mcp/jsonrpc';
import { observeServerMessage, type McpExchange } from '../../data-plane/mcp/exchange';
import { eraOf, speakerOf, type Era } from '../../data-plane/mcp/protocol-era';
import { legacyProblem, modernProblem } from '../../data-plane/mcp/era-rules';
import { admitCalls, type AdmissionRefusal, type CallVerdict } from '../../data-plane/mcp/guard-chain';
import { answerLimited } from './limited-answers';
import type { PassthroughGuards } from './passthrough-guards';

const JSON_TYPE = { 'content-type': 'application/json' };

type Parsed = Extract<ReturnType<typeof parseJsonRpcBody>, { ok: true }>;
type Message = Exclude<Parsed['messages'][number], { kind: 'response' }>;
type Seen = McpExchange['messages'][number];

function seenOf(m: Message, tool: string | null, logPayloads: boolean): Seen {
  return {
    method: m.method,
    tool,
    id: m.kind === 'request' ? m.id : undefined,
    cursor:
      m.method === 'tools/list' && !!m.params && !Array.isArray(m.params) && m.params.cursor !== undefined,
    error: null as number | null,
    detail: logPayloads ? ({ request_payload: m } as Record<string, unknown>) : null,
  };
}

/** The verdict on one tool call, recorded: audit detail, and the metric once per request. */
function record(
  g: PassthroughGuards,
  ctx: RequestContextApi,
  seen: Seen,
  tool: string,
  verdict: CallVerdict,
  known: boolean,
  counted: boolean,
): void {
  if (g.logAudits) {
    const caller = g.callerOf(ctx);
    seen.detail = {
      ...(seen.detail ?? {}),
      audit: {
        primitive: 'tool',
        name: tool,
        // The name and the ACLs decide access; a held tool is allowed, and awaiting approval.
        allowed: verdict.decision === 'allowed' || verdict.decision === 'held',
        consumer: caller.consumer,
        groups: caller.groups,
      },
    };
  }
  // A bounded set of names labels the metric: configured, listed here, or vouched for by a guard.
  const label = known || g.acls.tools.has(tool) || g.inventory.knows(ctx.route.id, tool) ? tool : null;
  if (counted) g.metrics.toolCall(ctx.route.name ?? ctx.route.id, label, verdict.decision);
}

/** The gateway's answer to a body with denied calls: each request answered, none forwarded. */
function refuseDenied(
  ctx: RequestContextApi,
  parsed: Parsed,
  denials: { id: JsonRpcId; message: string }[],
  ex: McpExchange | null,
): never {
  const errors = parsed.messages
    .filter((m) => m.kind === 'request')
    .map((m) => {
      const id = (m as { id: JsonRpcId }).id;
      const denial = denials.find((d) => d.id === id);
      return JSON.parse(
        jsonRpcError(
          id,
          denial ? JSONRPC_ERRORS.INVALID_PARAMS : JSONRPC_ERRORS.INVALID_REQUEST,
          denial ? denial.message : 'batch refused: it contains a denied tool call',
        ),
      );
    });
  if (ex) for (const e of errors) observeServerMessage(ex, e);
  return ctx.exit(200, JSON.stringify(parsed.batch ? errors : errors[0]), JSON_TYPE);
}

/** What goes upstream: the judged body and what its headers are written from. */
export interface JudgedBody {
  canonical: string;
  era: Era;
  messages: readonly JsonRpcMessage[];
}

/**
 * The era's rules before any tool is judged (era-rules.ts): a modern request's headers against
 * its body — the client's, so not on the last look, where a plugin changed the body and the
 * headers are written again from it — and methods outside the request's era.
 */
function eraRules(
  g: PassthroughGuards,
  ctx: RequestContextApi,
  parsed: Parsed,
  era: Era,
  clientHeaders: boolean,
) {
  if (era === 'legacy') return legacyProblem(ctx.req.headers, parsed.messages);
  return clientHeaders || parsed.batch
    ? modernProblem(ctx.req, parsed.messages, parsed.batch, g.headerParams(ctx))
    : null;
}

interface JudgedCall {
  id: JsonRpcId;
  tool: string;
  seen: Seen;
  verdict: CallVerdict;
  known: boolean;
}

interface Judging {
  parsed: Parsed;
  era: Era;
  calls: JudgedCall[];
}

/** Parsed, the era's rules applied, every tools/call through the guard chain (not yet recorded). */
function judgeMessages(
  g: PassthroughGuards,
  ctx: RequestContextApi,
  body: Buffer,
  ex: McpExchange | null,
): Judging {
  const parsed = parseJsonRpcBody(body, g.config.max_request_body_size);
  if (!parsed.ok) {
    const { code, message, id } = parsed.problem;
    ex?.messages.push({ method: null, tool: null, id: id ?? undefined, error: code, detail: null });
    return ctx.exit(400, jsonRpcError(id, code, message), JSON_TYPE);
  }
  const era = eraOf(ctx.req.headers, parsed.messages);
  if (ex) {
    ex.era = era;
    const speaker = speakerOf(ctx.req.headers, parsed.messages, era);
    ctx.analytics.fields.mcp_protocol_version = speaker.version;
    ctx.analytics.fields.mcp_client = speaker.client;
  }
  const problem = eraRules(g, ctx, parsed, era, ex !== null);
  if (problem) {
    const first = parsed.messages[0];
    const id = first && first.kind !== 'notification' ? first.id : null;
    const method = first && first.kind !== 'response' ? first.method : null;
    ex?.messages.push({ method, tool: null, id: id ?? undefined, error: problem.code, detail: null });
    return ctx.exit(problem.status, jsonRpcError(id, problem.code, problem.message, problem.data), JSON_TYPE);
  }
  const guards = g.guardsOf(ctx);
  const calls: JudgedCall[] = [];
  for (const m of parsed.messages) {
    if (m.kind === 'response') continue; // the client answering a server request
    const tool = m.kind === 'request' && m.method === 'tools/call' ? (m.tool ?? null) : null;
    const seen = seenOf(m, tool, g.logPayloads);
    ex?.messages.push(seen);
    if (m.kind !== 'request' || tool === null) continue;
    calls.push({ id: m.id, tool, seen, verdict: guards.judgeCall(tool), known: guards.knows(tool) });
  }
  return { parsed, era, calls };
}

/** The verdicts recorded; a body with a refused call answered here; else what goes upstream. */
function conclude(
  g: PassthroughGuards,
  ctx: RequestContextApi,
  j: Judging,
  ex: McpExchange | null,
): JudgedBody {
  const denials: { id: JsonRpcId; message: string }[] = [];
  const limited = new Map<JsonRpcId, AdmissionRefusal>();
  for (const c of j.calls) {
    record(g, ctx, c.seen, c.tool, c.verdict, c.known, ex !== null);
    if (c.verdict.decision === 'limited') {
      limited.set(c.id, c.verdict);
      // The analytics record says so (the console's overview counts these).
      c.seen.detail = {
        ...(c.seen.detail ?? {}),
        quota: { limited: true, retry_after: c.verdict.retryAfter },
      };
    } else if (c.verdict.decision !== 'allowed') denials.push({ id: c.id, message: c.verdict.message });
  }
  if (denials.length) refuseDenied(ctx, j.parsed, denials, ex);
  if (limited.size) answerLimited(ctx, j.parsed, j.era, limited, ex);
  return { canonical: j.parsed.canonical, era: j.era, messages: j.parsed.messages };
}

/**
 * The body to forward (the request exits otherwise). `ex` null: the last look judging a body a
 * later plugin changed (recorded, counted and admitted once already).
 */
export function judgeBody(
  g: PassthroughGuards,
  ctx: RequestContextApi,
  body: Buffer,
  ex: McpExchange | null,
): JudgedBody {
  return conclude(g, ctx, judgeMessages(g, ctx, body, ex), ex);
}

/**
 * The first judging of a request: the guards, then, when they allowed every call, the counted
 * admissions (quotas) for all its calls at once. A quota that cannot be counted (its store down,
 * not fault tolerant) is a JSON-RPC error, never a call let through.
 */
export async function judgeAndAdmit(
  g: PassthroughGuards,
  ctx: RequestContextApi,
  body: Buffer,
  ex: McpExchange,
): Promise<JudgedBody> {
  const j = judgeMessages(g, ctx, body, ex);
  if (j.calls.length && j.calls.every((c) => c.verdict.decision === 'allowed')) {
    let verdicts: (AdmissionRefusal | null)[];
    try {
      verdicts = await admitCalls(
        ctx,
        j.calls.map((c) => c.tool),
      );
    } catch {
      const id = j.parsed.batch ? null : j.calls[0].id;
      return ctx.exit(
        500,
        jsonRpcError(id, JSONRPC_ERRORS.INTERNAL_ERROR, 'the tool call quota could not be checked'),
        JSON_TYPE,
      );
    }
    j.calls.forEach((c, i) => {
      const v = verdicts[i];
      if (v) c.verdict = { decision: 'limited', ...v };
    });
  }
  return conclude(g, ctx, j, ex);
}
