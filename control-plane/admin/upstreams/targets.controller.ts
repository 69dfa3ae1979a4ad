import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { targetEntity, upstreamEntity } from '../../../shared/entities';
import type { Entity } from '../common/entity-store.service';
import { EntityStore } from '../common/entity-store.service';
import { listQuery, pageBody, writeOptions } from '../common/http';
import { findTarget } from './find-target';

/**
 * Kong's `/upstreams/{u}/targets`: a target is addressed by id or by its `host:port` within its
 * upstream (`host` alone means port 8000, as Kong formats it). There is no top-level
 * `/targets` (Kong disables it). Marking a target healthy or unhealthy is the cluster's
 * (control-plane/clustering/target-health.controller.ts): it tells every data plane.
 */
@Controller('upstreams/:parent/targets')
export class TargetsController {
  constructor(private readonly store: EntityStore) {}

  private target(upstreamKey: string, key: string): Promise<{ upstream: Entity; target: Entity }> {
    return findTarget(this.store, upstreamKey, key);
  }

  @Get()
  list(@Param('parent') upstreamKey: string, @Req() req: FastifyRequest) {
    return this.page(upstreamKey, req);
  }

  /** Kong's raw listing (weight-0 targets too): the same rows here, every target is one row. */
  @Get('all')
  all(@Param('parent') upstreamKey: string, @Req() req: FastifyRequest) {
    return this.page(upstreamKey, req);
  }

  private async page(upstreamKey: string, req: FastifyRequest) {
    const upstream = await this.store.findOrThrow(upstreamEntity, upstreamKey);
    const page = await this.store.list(targetEntity, {
      ...listQuery(req),
      where: { upstream_id: upstream.id },
    });
    return pageBody(req, page);
  }

  @Post()
  @HttpCode(201)
  async create(@Param('parent') upstreamKey: string, @Req() req: FastifyRequest) {
    const upstream = await this.store.findOrThrow(upstreamEntity, upstreamKey);
    return this.store.create(targetEntity, req.body, writeOptions(req, { upstream: { id: upstream.id } }));
  }

  @Get(':key')
  async get(@Param('parent') upstreamKey: string, @Param('key') key: string) {
    return (await this.target(upstreamKey, key)).target;
  }

  /** Kong updates in place on PUT as on PATCH (its target endpoints have no upsert). */
  @Put(':key')
  put(@Param('parent') upstreamKey: string, @Param('key') key: string, @Req() req: FastifyRequest) {
    return this.patch(upstreamKey, key, req);
  }

  @Patch(':key')
  async patch(@Param('parent') upstreamKey: string, @Param('key') key: string, @Req() req: FastifyRequest) {
    const { upstream, target } = await this.target(upstreamKey, key);
    return this.store.update(
      targetEntity,
      target.id,
      req.body,
      writeOptions(req, { upstream: { id: upstream.id } }),
    );
  }

  @Delete(':key')
  @HttpCode(204)
  async remove(@Param('parent') upstreamKey: string, @Param('key') key: string) {
    const { target } = await this.target(upstreamKey, key);
    await this.store.remove(targetEntity, target.id);
  }
}
