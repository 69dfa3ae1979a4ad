import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ensureEntityTables } from './database/entity-tables';
import { randomUUID } from 'node:crypto';
import { AdminModule } from './admin/admin.module';
import { SnapshotsModule } from './snapshots/snapshots.module';
import { ClusteringModule } from './clustering/clustering.module';
import { AnalyticsModule } from './analytics/analytics.module';
import { McpModule } from './mcp/mcp.module';
import { ExtensionPointsModule } from './plugins/extension-points.module';
import { pluginControlPlanes } from './plugins/plugin-control-planes';
import { runPluginMigrations } from './plugins/plugin-migrations';
import { dataSourceOptions, type DatabaseKind } from './database/data-source';
import { DATABASE_KIND } from './database/database-kind';
import type { EmbeddedPostgres } from './database/embedded-postgres';
import { NODE_ID } from './node-id';
import { CP_OPTIONS, type ControlPlaneOptions } from './options';

@Global()
@Module({})
class CoreModule {
  static register(options: ControlPlaneOptions, kind: DatabaseKind): DynamicModule {
    const providers = [
      { provide: CP_OPTIONS, useValue: options },
      { provide: DATABASE_KIND, useValue: kind },
      { provide: NODE_ID, useValue: randomUUID() },
    ];
    return { module: CoreModule, providers, exports: providers.map((p) => p.provide) };
  }
}

@Module({})
export class AppModule {
  static async register(options: ControlPlaneOptions, embedded?: EmbeddedPostgres): Promise<DynamicModule> {
    const plugins = await pluginControlPlanes();
    const kind: DatabaseKind = options.databaseUrl ? 'postgres' : 'embedded';
    return {
      module: AppModule,
      imports: [
        CoreModule.register(options, kind),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(options.databaseUrl, embedded),
            retryAttempts: 2,
            retryDelay: 1000,
          }),
          dataSourceFactory: async (opts) => {
            // The core's migrations (on initialize), then each plugin's, then entity tables.
            const db = await new DataSource(opts!).initialize();
            await runPluginMigrations(db, plugins, options.progress);
            await ensureEntityTables(db);
            return db;
          },
        }),
        ExtensionPointsModule,
        SnapshotsModule,
        AdminModule,
        McpModule,
        ClusteringModule,
        AnalyticsModule,
        // Each plugin's control-plane half (plugins/<name>/control-plane/).
        ...plugins.flatMap((p) => (p.module ? [p.module] : [])),
      ],
    };
  }
}
