import { Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { EntityDefinition } from '../../../shared/entities';
import type { Entity, EntityStore } from './entity-store.service';
import { listQuery, pageBody, writeOptions } from './http';

/** Kong's collection + item endpoints for one entity (`/services`, `/services/{id|name}`). */
export abstract class CollectionController {
  constructor(
    protected readonly store: EntityStore,
    protected readonly def: EntityDefinition,
  ) {}

  @Get()
  async list(@Req() req: FastifyRequest) {
    return pageBody(req, await this.store.list(this.def, listQuery(req, this.def)));
  }

  @Post()
  @HttpCode(201)
  create(@Req() req: FastifyRequest): Promise<Entity> {
    return this.store.create(this.def, req.body, writeOptions(req));
  }

  @Get(':key')
  get(@Param('key') key: string): Promise<Entity> {
    return this.store.findOrThrow(this.def, key);
  }

  @Put(':key')
  put(@Param('key') key: string, @Req() req: FastifyRequest): Promise<Entity> {
    return this.store.upsert(this.def, key, req.body, writeOptions(req));
  }

  @Patch(':key')
  patch(@Param('key') key: string, @Req() req: FastifyRequest): Promise<Entity> {
    return this.store.update(this.def, key, req.body, writeOptions(req));
  }

  @Delete(':key')
  @HttpCode(204)
  async remove(@Param('key') key: string): Promise<void> {
    await this.store.remove(this.def, key);
  }
}
