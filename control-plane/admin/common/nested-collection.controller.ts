import { Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { EntityDefinition } from '../../../shared/entities';
import type { Entity, EntityStore } from './entity-store.service';
import { listQuery, pageBody, writeOptions } from './http';
import { notFound } from './kong-http-error';

/**
 * Children of one parent: `/services/{s}/routes`, `/consumers/{c}/key-auth`, ... The parent is
 * addressed by id or endpoint key; children outside the parent are 404 here.
 */
export abstract class NestedCollectionController {
  constructor(
    protected readonly store: EntityStore,
    protected readonly parentDef: EntityDefinition,
    protected readonly def: EntityDefinition,
    /** Foreign key field in the child pointing at the parent. */
    protected readonly field: string,
  ) {}

  protected async parent(key: string): Promise<Entity> {
    return this.store.findOrThrow(this.parentDef, key);
  }

  protected async child(parentKey: string, key: string): Promise<{ parent: Entity; child: Entity }> {
    const parent = await this.parent(parentKey);
    const child = await this.store.find(this.def, key);
    if (!child || child[this.field]?.id !== parent.id) throw notFound();
    return { parent, child };
  }

  @Get()
  async list(@Param('parent') parentKey: string, @Req() req: FastifyRequest) {
    const parent = await this.parent(parentKey);
    const page = await this.store.list(this.def, {
      ...listQuery(req),
      where: { [`${this.field}_id`]: parent.id },
    });
    return pageBody(req, page);
  }

  @Post()
  @HttpCode(201)
  async create(@Param('parent') parentKey: string, @Req() req: FastifyRequest): Promise<Entity> {
    const parent = await this.parent(parentKey);
    return this.store.create(this.def, req.body, writeOptions(req, { [this.field]: { id: parent.id } }));
  }

  @Get(':key')
  async get(@Param('parent') parentKey: string, @Param('key') key: string): Promise<Entity> {
    return (await this.child(parentKey, key)).child;
  }

  @Put(':key')
  async put(@Param('parent') parentKey: string, @Param('key') key: string, @Req() req: FastifyRequest) {
    const parent = await this.parent(parentKey);
    const existing = await this.store.find(this.def, key);
    if (existing && existing[this.field]?.id !== parent.id) throw notFound();
    return this.store.upsert(this.def, key, req.body, writeOptions(req, { [this.field]: { id: parent.id } }));
  }

  @Patch(':key')
  async patch(@Param('parent') parentKey: string, @Param('key') key: string, @Req() req: FastifyRequest) {
    const { parent, child } = await this.child(parentKey, key);
    return this.store.update(
      this.def,
      child.id,
      req.body,
      writeOptions(req, { [this.field]: { id: parent.id } }),
    );
  }

  @Delete(':key')
  @HttpCode(204)
  async remove(@Param('parent') parentKey: string, @Param('key') key: string): Promise<void> {
    const parent = await this.parent(parentKey);
    await this.store.remove(this.def, key, (e) => e[this.field]?.id === parent.id);
  }
}
