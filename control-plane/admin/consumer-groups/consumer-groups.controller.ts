import { Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { consumerGroupEntity, pluginEntity } from '../../../shared/entities';
import { CollectionController } from '../common/collection.controller';
import { EntityStore } from '../common/entity-store.service';
import { notFound } from '../common/kong-http-error';
import { MembershipService } from './membership.service';

@Controller('consumer_groups')
export class ConsumerGroupsController extends CollectionController {
  constructor(
    store: EntityStore,
    private readonly members: MembershipService,
  ) {
    super(store, consumerGroupEntity);
  }

  /**
   * Kong Enterprise answers with `{consumer_group, consumers, plugins}`; the group's own fields
   * are repeated at the top level so clients reading either shape work.
   */
  @Get(':key')
  override async get(@Param('key') key: string) {
    const group = await this.store.findOrThrow(consumerGroupEntity, key);
    const consumers = await this.members.consumersOf(group.id);
    const plugins = await this.store.list(pluginEntity, {
      size: 1000,
      where: { consumer_group_id: group.id },
    });
    return { ...group, consumer_group: group, consumers, plugins: plugins.data };
  }

  @Get(':key/consumers')
  async listConsumers(@Param('key') key: string) {
    return { data: await this.members.consumersOf(key), next: null };
  }

  @Post(':key/consumers')
  @HttpCode(201)
  addConsumers(@Param('key') key: string, @Req() req: FastifyRequest) {
    return this.members.addConsumers(key, MembershipService.refs(req.body, 'consumer'));
  }

  @Delete(':key/consumers')
  @HttpCode(204)
  async removeAll(@Param('key') key: string) {
    await this.members.remove(key, undefined);
  }

  @Get(':key/consumers/:consumer')
  async getMember(@Param('key') key: string, @Param('consumer') consumer: string) {
    const members = await this.members.consumersOf(key);
    const found = members.find((c) => c.id === consumer || c.username === consumer);
    if (!found) throw notFound();
    return found;
  }

  @Delete(':key/consumers/:consumer')
  @HttpCode(204)
  async removeOne(@Param('key') key: string, @Param('consumer') consumer: string) {
    await this.members.remove(key, consumer);
  }
}

@Controller('consumers/:parent/consumer_groups')
export class ConsumerConsumerGroupsController {
  constructor(private readonly members: MembershipService) {}

  @Get()
  async list(@Param('parent') consumer: string) {
    return { data: await this.members.groupsOf(consumer), next: null };
  }

  @Post()
  @HttpCode(201)
  add(@Param('parent') consumer: string, @Req() req: FastifyRequest) {
    return this.members.addGroups(consumer, MembershipService.refs(req.body, 'group'));
  }

  @Delete()
  @HttpCode(204)
  async removeAll(@Param('parent') consumer: string) {
    await this.members.remove(undefined, consumer);
  }

  @Get(':group')
  async get(@Param('parent') consumer: string, @Param('group') group: string) {
    const groups = await this.members.groupsOf(consumer);
    const found = groups.find((g) => g.id === group || g.name === group);
    if (!found) throw notFound();
    return found;
  }

  @Delete(':group')
  @HttpCode(204)
  async removeOne(@Param('parent') consumer: string, @Param('group') group: string) {
    await this.members.remove(group, consumer);
  }
}
