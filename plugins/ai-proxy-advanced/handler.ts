/**
 * ai-proxy-advanced: send the request to an OpenAI-compatible LLM API instead of the service,
 * with the configured auth injected and the model and options set. Targets are balanced
 * round-robin by weight.
 */
import { aiProxyAdvancedPlugin, OPENAI_COMPATIBLE_BASE, OPENAI_PATHS } from './schema';
import { ApplyError } from '../../data-plane/runtime/entity';
import { defineHandler, type RequestContextApi } from '../../data-plane/runtime/plugin-api';

interface Target {
  url: URL;
  routeType: string;
  model: string | null;
  options: Record<string, any>;
  auth: Record<string, any> | null;
  weight: number;
}

function baseUrl(provider: string, env: NodeJS.ProcessEnv): string | undefined {
  return env[`TOLLGATE_AI_${provider.toUpperCase()}_URL`] ?? OPENAI_COMPATIBLE_BASE[provider];
}

/** The configured credential, as a header or a query/body parameter. */
function injectAuth(ctx: RequestContextApi, target: Target, url: URL, body: Record<string, any> | null) {
  const a = target.auth;
  if (a?.header_name && a.header_value) {
    const name = a.header_name.toLowerCase();
    if (!(a.allow_override && ctx.headers[name])) ctx.headers[name] = a.header_value;
  }
  if (a?.param_name && a.param_value) {
    if (a.param_location === 'body' && body) body[a.param_name] = a.param_value;
    else url.searchParams.set(a.param_name, a.param_value);
  }
}

/** A configured target, its upstream URL resolved once. */
function targetOf(t: any, i: number, env: NodeJS.ProcessEnv): Target {
  const options = t.model.options ?? {};
  let url: URL;
  if (options.upstream_url) url = new URL(options.upstream_url);
  else {
    const base = baseUrl(t.model.provider, env);
    if (!base)
      throw new ApplyError(
        `targets[${i}]: provider '${t.model.provider}' needs model.options.upstream_url on Tollgate`,
      );
    const path = t.route_type === 'preserve' ? '' : OPENAI_PATHS[t.route_type];
    if (path === undefined)
      throw new ApplyError(`targets[${i}]: route_type '${t.route_type}' is not supported`);
    url = new URL(base.replace(/\/$/, '') + (options.upstream_path ?? path));
  }
  return {
    url,
    routeType: t.route_type,
    model: t.model.name ?? null,
    options,
    auth: t.auth ?? null,
    weight: t.weight ?? 100,
  };
}

/** Each target as many times as its weight holds the smallest: round-robin by weight. */
function weightedWheel(targets: Target[]): Target[] {
  const wheel: Target[] = [];
  const unit = Math.min(...targets.map((t) => t.weight));
  for (const t of targets) for (let i = 0; i < Math.max(1, Math.round(t.weight / unit)); i++) wheel.push(t);
  return wheel;
}

function badRequest(ctx: RequestContextApi, message: string): never {
  return ctx.exit(400, { error: { message } });
}

/** The client's JSON body with the target's model and default options set (exits on bad input). */
function llmBody(ctx: RequestContextApi, target: Target): Record<string, any> {
  let body: Record<string, any> = {};
  if (ctx.body?.length) {
    try {
      body = JSON.parse(ctx.body.toString('utf8'));
    } catch {
      return badRequest(ctx, 'content-type header does not match request body, or bad JSON formatting');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return badRequest(ctx, 'request body must be a JSON object');
  }
  if (target.model) {
    if (body.model && body.model !== target.model)
      return badRequest(ctx, `cannot use own model - must be: ${target.model}`);
    body.model = target.model;
  }
  const o = target.options;
  if (o.temperature != null && body.temperature === undefined) body.temperature = o.temperature;
  if (o.top_p != null && body.top_p === undefined) body.top_p = o.top_p;
  if (o.max_tokens != null) {
    const field = target.routeType === 'llm/v1/responses' ? 'max_output_tokens' : 'max_tokens';
    if (body[field] === undefined) body[field] = o.max_tokens;
  }
  return body;
}

export default defineHandler(aiProxyAdvancedPlugin, (config, env) => {
  const wheel = weightedWheel(config.targets.map((t: any, i: number) => targetOf(t, i, env.env)));
  let next = 0;
  return {
    needsRequestBody: true,
    access(ctx) {
      const target = wheel[next++ % wheel.length];
      const limit = config.max_request_body_size;
      if (limit > 0 && (ctx.body?.length ?? 0) > limit) {
        return ctx.exit(413, { error: { message: `request body is larger than ${limit} bytes` } });
      }
      const url = new URL(target.url);
      const contentType = String(ctx.headers['content-type'] ?? '');
      // `preserve` and non-JSON uploads (audio, files) go through as they are: only the
      // upstream and its credentials change.
      if (target.routeType === 'preserve' || contentType.startsWith('multipart/')) {
        if (target.routeType === 'preserve') url.pathname = url.pathname.replace(/\/$/, '') + ctx.path;
        injectAuth(ctx, target, url, null);
        for (const [k, v] of ctx.query) if (!url.searchParams.has(k)) url.searchParams.append(k, v);
        ctx.upstreamOverride = { url, tlsVerify: true };
        return;
      }
      const body = llmBody(ctx, target);
      injectAuth(ctx, target, url, body);
      for (const [k, v] of ctx.query) if (!url.searchParams.has(k)) url.searchParams.append(k, v);
      ctx.method = 'POST';
      ctx.headers['content-type'] = 'application/json';
      ctx.body = Buffer.from(JSON.stringify(body));
      ctx.upstreamOverride = { url, tlsVerify: true };
    },
  };
});
