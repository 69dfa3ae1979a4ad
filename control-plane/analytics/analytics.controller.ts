import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { parseQuery, QueryError } from '../../shared/analytics/query';
import { badRequest } from '../admin/common/kong-http-error';
import { AnalyticsQueries } from './query.service';

/** `POST /analytics/query` (Konnect's query shape) and `GET /analytics/requests` (the audit trail). */
@Controller('analytics')
export class AnalyticsController {
  constructor(private readonly queries: AnalyticsQueries) {}

  @Post('query')
  @HttpCode(200)
  async query(@Body() body: unknown) {
    try {
      return await this.queries.run(parseQuery(body));
    } catch (err) {
      if (err instanceof QueryError) throw badRequest(err.message);
      throw err;
    }
  }

  @Get('requests')
  async requests(@Query() query: Record<string, string>) {
    try {
      return await this.queries.requests(query);
    } catch (err) {
      if (err instanceof QueryError) throw badRequest(err.message);
      throw err;
    }
  }
}
