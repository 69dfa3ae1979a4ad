import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { BatchService } from './batch.service';

/** `POST /batch {"operations": [...]}`: all applied in one transaction, or none. */
@Controller('batch')
export class BatchController {
  constructor(private readonly batch: BatchService) {}

  @Post()
  @HttpCode(200)
  apply(@Req() req: FastifyRequest) {
    return this.batch.apply((req.body as any)?.operations);
  }
}
