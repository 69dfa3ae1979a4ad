import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ENTITIES, pluginEntity } from '../../../shared/entities';
import { schemaViolation } from '../../../shared/errors';
import { PLUGINS } from '../../../shared/plugins/registry';
import { validate } from '../../../shared/schema/validator';
import { KongHttpError, notFound } from '../common/kong-http-error';
import { writeOptions } from '../common/http';

/** Entity names as Kong spells them in `/schemas/{name}` (singular key-auth credential alias). */
function entityByName(name: string) {
  return (
    ENTITIES.get(name) ??
    (name === 'keyauth_credentials' || name === 'key-auths' ? ENTITIES.get('keyauth_credentials') : undefined)
  );
}

/** JSON Schema of every entity and plugin config, and offline validation against them. */
@Controller('schemas')
export class SchemasController {
  @Get('plugins/:name')
  plugin(@Param('name') name: string) {
    const def = PLUGINS.get(name);
    if (!def) throw new KongHttpError(404, { message: `No plugin named '${name}'` });
    return { name: def.name, version: def.version, priority: def.priority, ...def.config };
  }

  @Post('plugins/validate')
  @HttpCode(200)
  validatePlugin(@Req() req: FastifyRequest) {
    const opts = writeOptions(req);
    const r = pluginEntity.expandWith((req.body ?? {}) as Record<string, any>, opts.coerce);
    if (r.errors.length) throw new KongHttpError(400, schemaViolation(r.errors));
    const base = validate(pluginEntity.schema, r.value, opts.coerce);
    if (!base.ok) throw new KongHttpError(400, schemaViolation(base.errors));
    const checks = pluginEntity.check?.(base.value) ?? [];
    if (checks.length) throw new KongHttpError(400, schemaViolation(checks));
    return { message: 'schema validation successful' };
  }

  @Get(':entity')
  entity(@Param('entity') name: string) {
    const def = entityByName(name);
    if (!def) throw notFound();
    return def.schema;
  }

  @Post(':entity/validate')
  @HttpCode(200)
  validateEntity(@Param('entity') name: string, @Req() req: FastifyRequest) {
    const def = entityByName(name);
    if (!def) throw notFound();
    if (def === pluginEntity) return this.validatePlugin(req);
    const opts = writeOptions(req);
    const expanded = def.expand
      ? def.expand((req.body ?? {}) as Record<string, any>)
      : { value: req.body ?? {}, errors: [] };
    const result = validate(def.schema, expanded.value, opts.coerce);
    const errors = [...expanded.errors, ...(result.ok ? (def.check?.(result.value) ?? []) : result.errors)];
    if (errors.length) throw new KongHttpError(400, schemaViolation(errors));
    return { message: 'schema validation successful' };
  }
}
