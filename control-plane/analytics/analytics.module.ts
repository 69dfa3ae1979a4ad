import { Module } from '@nestjs/common';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsIngest } from './ingest.service';
import { AnalyticsQueries } from './query.service';

@Module({
  controllers: [AnalyticsController],
  providers: [AnalyticsIngest, AnalyticsQueries],
  exports: [AnalyticsIngest],
})
export class AnalyticsModule {}
