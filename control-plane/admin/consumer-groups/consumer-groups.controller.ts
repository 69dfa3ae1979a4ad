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

  /** With `?counter=true`, each group carries `consumers_count` (Kong Enterprise, Kong's UIs). */
  @Get()
  override async list(@Req() req: FastifyRequest) {
    const page = await super.list(req);
    if ((req.query as Record<string, string>)?.counter !== 'true') return page;
    const counts = await this.members.counts(page.data.map((g) => g.id));
    return { ...page, data: page.data.map((g) => ({ ...g, consumers_count: counts.get(g.id) ?? 0 })) };
  }

  /**
   * Kong Enterprise answers with `{consumer_group, consumers, plugins}` (`consumers` left out
   * with `?list_consumers=false`); the group's own fields are repeated at the top level so
   * clients reading either shape work.
   */
  @Get(':key')
  override async get(@Param('key') key: string, @Req() req?: FastifyRequest) {
    const group = await this.store.findOrThrow(consumerGroupEntity, key);
    const plugins = await this.store.list(pluginEntity, {
      size: 1000,
      where: { consumer_group_id: group.id },
    });
    const body: Record<string, unknown> = { ...group, consumer_group: group, plugins: plugins.data };
    if ((req?.query as Record<string, string> | undefined)?.list_consumers !== 'false')
      body.consumers = await this.members.consumersOf(group.id);
    return body;
  }

  /** Members as a Kong page (`data`) and as Kong Enterprise's `consumers`. */
  @Get(':key/consumers')
  async listConsumers(@Param('key') key: string) {
    const consumers = await this.members.consumersOf(key);
    return { data: consumers, consumers, next: null };
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

  /** A consumer's groups as a Kong page (`data`) and as Kong Enterprise's `consumer_groups`. */
  @Get()
  async list(@Param('parent') consumer: string) {
    const groups = await this.members.groupsOf(consumer);
    return { data: groups, consumer_groups: groups, next: null };
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
