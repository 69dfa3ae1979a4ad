/** Config versions and the snapshots built from them (served at `GET /config`, pushed to data planes). */
import { Module } from '@nestjs/common';
import { ConfigVersions } from './config-versions.service';
import { SnapshotService } from './snapshot.service';
import { ConfigController } from './config.controller';

@Module({
  controllers: [ConfigController],
  providers: [ConfigVersions, SnapshotService],
  exports: [ConfigVersions, SnapshotService],
})
export class SnapshotsModule {}
