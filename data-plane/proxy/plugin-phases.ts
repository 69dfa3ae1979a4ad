/**
 * The one phase runner: every loop over a request's plugins, and the one policy for how a phase
 * ends other than normally, for client requests and the gateway's own route calls alike.
 *
 * - `ctx.exit()` (an ExitSignal) is the plugin's answer, sent as it is.
 * - Anything else a plugin throws in access, last look, header or body filters becomes a
 *   PluginFailure naming the plugin and the phase: logged, and answered 500 with Kong's body.
 *   A response is never sent with a filter half applied.
 * - The log phase runs after the response is out: a failure there is logged and nothing else.
 */
import {
  ExitSignal,
  StreamedExit,
  type RequestFigures,
  type HeaderMap,
  type PluginInstance,
  type RequestContextApi,
  type ResponseState,
} from '../runtime/plugin-api';
import type { CompiledConfig } from '../runtime/compiled-config';
import type { Slot } from '../runtime/plugin-chain';
import { kongErrorBody, messageFor, GATEWAY_ERRORS } from '../errors';
import { BodyTooLarge } from './body';
import { throughFilter } from './body-streams';

export type Phase = 'access' | 'beforeUpstream' | 'headerFilter' | 'bodyFilter';

export class PluginFailure extends Error {
  constructor(
    readonly plugin: string,
    readonly phase: Phase,
    readonly reason: unknown,
  ) {
    super(`plugin ${plugin} failed in ${phase}: ${(reason as Error)?.stack ?? String(reason)}`);
  }
}

/** What a phase threw, as the runner passes it on: exits and size refusals as they are. */
function failed(err: unknown, plugin: PluginInstance | undefined, phase: Phase): unknown {
  if (err instanceof ExitSignal || err instanceof BodyTooLarge || err instanceof PluginFailure) return err;
  return new PluginFailure(plugin?.name ?? 'unknown', phase, err);
}

/**
 * Every plugin of `slots` from `from` on, in access order, resolved for the consumer known so
 * far (an auth plugin earlier in the chain decides later instances); `include` may pass one by.
 * Each one run is appended to `executed`.
 */
export async function runAccess(
  config: CompiledConfig,
  slots: readonly Slot[],
  rc: RequestContextApi,
  executed: PluginInstance[],
  from = 0,
  include?: (inst: PluginInstance) => boolean,
  /** Where the plugins after an exit that log go: their log phase still runs (Kong's). */
  loggers?: PluginInstance[],
): Promise<void> {
  let current: PluginInstance | undefined;
  let i = from;
  try {
    for (; i < slots.length; i++) {
      const inst = config.plugins.resolve(slots[i], rc);
      if (!inst || (include && !include(inst))) continue;
      current = inst;
      executed.push(inst);
      if (inst.access) await inst.access(rc);
    }
  } catch (err) {
    if (loggers)
      for (let j = i + 1; j < slots.length; j++) {
        const inst = config.plugins.resolve(slots[j], rc);
        if (inst?.log && (!include || include(inst))) loggers.push(inst);
      }
    throw failed(err, current, 'access');
  }
}

/** Each plugin's last look at the request exactly as it will be sent. */
export function runBeforeUpstream(executed: readonly PluginInstance[], rc: RequestContextApi): void {
  let current: PluginInstance | undefined;
  try {
    for (const inst of executed) {
      current = inst;
      inst.beforeUpstream?.(rc);
    }
  } catch (err) {
    throw failed(err, current, 'beforeUpstream');
  }
}

export function runHeaderFilters(
  plugins: readonly PluginInstance[],
  rc: RequestContextApi,
  state: ResponseState,
): void {
  let current: PluginInstance | undefined;
  try {
    for (const p of plugins) {
      current = p;
      p.headerFilter?.(rc, state);
    }
  } catch (err) {
    throw failed(err, current, 'headerFilter');
  }
}

/**
 * A whole response body through every response-phase plugin, in order: the buffering ones
 * (`wantsResponseBody`) rewrite it, the streaming ones (an SSE inspector) see it through their
 * filter, so buffering never skips an inspection.
 */
export async function filterWholeBody(
  plugins: readonly PluginInstance[],
  rc: RequestContextApi,
  state: ResponseState,
  body: Buffer,
): Promise<Buffer> {
  let current: PluginInstance | undefined;
  try {
    for (const p of plugins) {
      current = p;
      if (p.wantsResponseBody?.(rc, state)) body = p.transformBody!(rc, state, body);
      else {
        const filter = p.streamFilter?.(rc, state);
        if (filter) body = await throughFilter(filter, body);
      }
    }
    return body;
  } catch (err) {
    throw failed(err, current, 'bodyFilter');
  }
}

/** After the response: each plugin's log hook; a failure is logged, nothing else. */
export function runLogHooks(
  executed: readonly PluginInstance[],
  rc: RequestContextApi,
  state: ResponseState,
  figures: RequestFigures,
  log?: (line: string) => void,
): void {
  for (const inst of executed) {
    try {
      inst.log?.(rc, state, figures);
    } catch (err) {
      log?.(`plugin ${inst.name} log phase: ${(err as Error).message}`);
    }
  }
}

/** The gateway's own answer to a request. */
export interface GatewayAnswer {
  status: number;
  body: Buffer | string | undefined;
  headers: HeaderMap;
}

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

/** Kong's error body for `status`. */
export function kongAnswer(requestId: string, status: number, message = messageFor(status)): GatewayAnswer {
  return { status, body: JSON.stringify(kongErrorBody(requestId, message)), headers: { ...JSON_TYPE } };
}

/**
 * How a phase that threw is answered, the same wherever it ran; null for errors that are not a
 * phase's (upstream failures: upstream-errors.ts). Plugin failures are logged here.
 */
export function phaseAnswer(
  err: unknown,
  requestId: string,
  log?: (line: string) => void,
): GatewayAnswer | null {
  if (err instanceof StreamedExit) {
    // Where no stream can go (a response phase's exit): dropped, Kong's 500 instead.
    err.stream.destroy();
    log?.('a streamed answer where none can be sent');
    return kongAnswer(requestId, 500);
  }
  if (err instanceof ExitSignal) return { status: err.status, body: err.body, headers: err.headers };
  if (err instanceof BodyTooLarge) return kongAnswer(requestId, 413, GATEWAY_ERRORS.tooLarge);
  if (err instanceof PluginFailure) {
    log?.(err.message);
    return kongAnswer(requestId, 500);
  }
  return null;
}
