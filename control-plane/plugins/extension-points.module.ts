/** The control plane's extension points, global so every module (and plugin module) can use them. */
import { Global, Module } from '@nestjs/common';
import { ClusterExtensions } from './cluster-extensions';
import { ControlPlaneMetrics } from './control-plane-metrics';

@Global()
@Module({
  providers: [ClusterExtensions, ControlPlaneMetrics],
  exports: [ClusterExtensions, ControlPlaneMetrics],
})
export class ExtensionPointsModule {}
