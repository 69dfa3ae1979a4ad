import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { entityByAnyName, pluginEntity } from '../../../shared/entities';
import { schemaViolation } from '../../../shared/errors';
import { PLUGINS } from '../../../shared/plugins/registry';
import { normalizeEntity } from '../../../shared/entities/normalize';
import type { EntityDefinition } from '../../../shared/entities';
import { KongHttpError, notFound } from '../common/kong-http-error';
import { writeOptions } from '../common/http';

/** JSON Schema of every entity and plugin config, and offline validation against them. */
@Controller('schemas')
export class SchemasController {
  @Get('plugins/:name')
  plugin(@Param('name') name: string) {
    const def = PLUGINS.get(name);
    if (!def) throw new KongHttpError(404, { message: `No plugin named '${name}'` });
    return { name: def.name, version: def.version, priority: def.priority, ...def.schema };
  }

  @Post('plugins/validate')
  @HttpCode(200)
  validatePlugin(@Req() req: FastifyRequest) {
    return this.check(pluginEntity, req);
  }

  @Get(':entity')
  entity(@Param('entity') name: string) {
    const def = entityByAnyName(name);
    if (!def) throw notFound();
    return def.schema;
  }

  @Post(':entity/validate')
  @HttpCode(200)
  validateEntity(@Param('entity') name: string, @Req() req: FastifyRequest) {
    const def = entityByAnyName(name);
    if (!def) throw notFound();
    return this.check(def, req);
  }

  private check(def: EntityDefinition, req: FastifyRequest) {
    const r = normalizeEntity(def, (req.body ?? {}) as Record<string, any>, writeOptions(req).coerce);
    if (!r.ok) throw new KongHttpError(400, schemaViolation(r.errors));
    return { message: 'schema validation successful' };
  }
}
