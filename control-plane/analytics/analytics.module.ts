import { Module } from '@nestjs/common';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsIngest } from './ingest.service';
import { AnalyticsQueries } from './query.service';
import { RollupCompactor } from './compactor.service';

@Module({
  controllers: [AnalyticsController],
  providers: [AnalyticsIngest, AnalyticsQueries, RollupCompactor],
  exports: [AnalyticsIngest],
})
export class AnalyticsModule {}
