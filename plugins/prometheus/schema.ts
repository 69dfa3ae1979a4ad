import { Bool, Rec } from '../../shared/schema/kong-types';
import { definePlugin } from '../../shared/plugins/definition';

/** Kong's prometheus (3.x): which request metrics it exports beside the node's. */
export const prometheusPlugin = definePlugin({
  name: 'prometheus',
  version: '3.12.0',
  priority: 13,
  noConsumerGroup: true,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls'],
  schema: Rec({
    per_consumer: Bool({ default: false }),
    status_code_metrics: Bool({ default: false }),
    latency_metrics: Bool({ default: false }),
    bandwidth_metrics: Bool({ default: false }),
    upstream_health_metrics: Bool({ default: false }),
    ai_metrics: Bool({ default: false }),
    wasm_metrics: Bool({ default: false }),
  }),
});

export default prometheusPlugin;
