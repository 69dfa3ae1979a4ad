import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { entityByAnyName, pluginEntity } from '../../../shared/entities';
import { kongEntitySchema, kongPluginSchema } from '../../../shared/entities/kong-schemas';
import { schemaViolation } from '../../../shared/errors';
import { PLUGINS } from '../../../shared/plugins/registry';
import { normalizeEntity } from '../../../shared/entities/normalize';
import type { EntityDefinition } from '../../../shared/entities';
import type { PluginDefinition } from '../../../shared/plugins/definition';
import { KongHttpError } from '../common/kong-http-error';
import { writeOptions } from '../common/http';

function entityOr404(name: string): EntityDefinition {
  const def = entityByAnyName(name);
  if (!def) throw new KongHttpError(404, { message: `No entity named '${name}'` });
  return def;
}

function pluginOr404(name: string): PluginDefinition {
  const def = PLUGINS.get(name);
  if (!def) throw new KongHttpError(404, { message: `No plugin named '${name}'` });
  return def;
}

/**
 * Kong's `/schemas` endpoints: every entity's and plugin's schema in Kong's format (what Kong
 * Manager and decK read) and validation against them. The same schemas as JSON Schema are
 * under `/schemas/json/…` for JSON-Schema tooling.
 */
@Controller('schemas')
export class SchemasController {
  @Get('plugins/:name')
  plugin(@Param('name') name: string) {
    return kongPluginSchema(pluginOr404(name));
  }

  @Post('plugins/validate')
  @HttpCode(200)
  validatePlugin(@Req() req: FastifyRequest) {
    return this.check(pluginEntity, req);
  }

  @Get('json/plugins/:name')
  pluginJsonSchema(@Param('name') name: string) {
    const def = pluginOr404(name);
    return { name: def.name, version: def.version, priority: def.priority, ...def.schema };
  }

  @Get('json/:entity')
  entityJsonSchema(@Param('entity') name: string) {
    return entityOr404(name).schema;
  }

  @Get(':entity')
  entity(@Param('entity') name: string) {
    return kongEntitySchema(entityOr404(name));
  }

  @Post(':entity/validate')
  @HttpCode(200)
  validateEntity(@Param('entity') name: string, @Req() req: FastifyRequest) {
    return this.check(entityOr404(name), req);
  }

  private check(def: EntityDefinition, req: FastifyRequest) {
    const r = normalizeEntity(def, (req.body ?? {}) as Record<string, any>, writeOptions(req).coerce);
    if (!r.ok) throw new KongHttpError(400, schemaViolation(r.errors));
    return { message: 'schema validation successful' };
  }
}
