import { Module } from '@nestjs/common';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { AnalyticsModule } from '../analytics/analytics.module';
import { AdminModule } from '../admin/admin.module';
import { ClusterServer } from './cluster-server.service';
import { ClusteringController } from './clustering.controller';
import { MetricsController } from './metrics.controller';
import { DataPlaneRegistry } from './data-plane-registry.service';
import { TargetHealthController } from './target-health.controller';

@Module({
  imports: [SnapshotsModule, AnalyticsModule, AdminModule],
  controllers: [ClusteringController, MetricsController, TargetHealthController],
  providers: [ClusterServer, DataPlaneRegistry],
  exports: [ClusterServer],
})
export class ClusteringModule {}
