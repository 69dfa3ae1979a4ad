import { Module } from '@nestjs/common';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsIngest } from './ingest.service';
import { AnalyticsQueries } from './query.service';
import { RollupCompactor } from './compactor.service';
import { RollupBuilder } from './rollup-builder.service';

@Module({
  controllers: [AnalyticsController],
  providers: [AnalyticsIngest, AnalyticsQueries, RollupBuilder, RollupCompactor],
  exports: [AnalyticsIngest],
})
export class AnalyticsModule {}
