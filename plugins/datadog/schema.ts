import {
  Enum,
  Int,
  Nullable,
  Num,
  Port,
  Rec,
  Referenceable,
  Str,
  Type,
} from '../../shared/schema/kong-types';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';

export const METRIC_NAMES = [
  'kong_latency',
  'latency',
  'request_count',
  'request_size',
  'response_size',
  'upstream_latency',
] as const;
export const STAT_TYPES = ['counter', 'gauge', 'histogram', 'meter', 'set', 'timer', 'distribution'] as const;
const CONSUMER_IDENTIFIERS = ['consumer_id', 'custom_id', 'username'] as const;

/** Kong's default: every metric, tagged `app:kong`, consumers by custom_id. */
const DEFAULT_METRICS = [
  { name: 'request_count', stat_type: 'counter', sample_rate: 1 },
  { name: 'latency', stat_type: 'timer' },
  { name: 'request_size', stat_type: 'timer' },
  { name: 'response_size', stat_type: 'timer' },
  { name: 'upstream_latency', stat_type: 'timer' },
  { name: 'kong_latency', stat_type: 'timer' },
].map((m) => ({ sample_rate: null, ...m, tags: ['app:kong'], consumer_identifier: 'custom_id' }));

/** Kong's queue record (the batching of log plugins): accepted, with Kong's defaults. */
const Queue = () =>
  Rec(
    {
      max_batch_size: Int({ default: 1, minimum: 1, maximum: 1000000 }),
      max_coalescing_delay: Num({ default: 1, minimum: 0, maximum: 3600 }),
      max_entries: Int({ default: 10000, minimum: 1, maximum: 1000000 }),
      max_bytes: Nullable(Int()),
      max_retry_time: Num({ default: 60 }),
      initial_retry_delay: Num({ default: 0.01, minimum: 0.001, maximum: 1000000 }),
      max_retry_delay: Num({ default: 60, minimum: 0.001, maximum: 1000000 }),
      concurrency_limit: Int({ default: 1, minimum: -1, maximum: 1 }),
    },
    { default: {} },
  );

/** Kong's datadog (3.x): DogStatsD metrics per request to a local agent over UDP. */
export const datadogPlugin = definePlugin({
  name: 'datadog',
  version: '3.12.0',
  priority: 10,
  schema: Rec({
    host: Referenceable({ default: 'localhost' }),
    port: Port({ default: 8125 }),
    prefix: Str({ default: 'kong' }),
    service_name_tag: Str({ default: 'name' }),
    status_tag: Str({ default: 'status' }),
    consumer_tag: Str({ default: 'consumer' }),
    retry_count: Nullable(Int({ minimum: 0 })),
    queue_size: Nullable(Int({ minimum: 0 })),
    flush_timeout: Nullable(Num({ minimum: 0 })),
    queue: Queue(),
    metrics: Type.Array(
      Rec(
        {
          name: Enum(METRIC_NAMES),
          stat_type: Enum(STAT_TYPES),
          tags: Nullable(Type.Array(Str({ pattern: '^.*[^:]$' }))),
          sample_rate: Nullable(Num({ minimum: 0, maximum: 1 })),
          consumer_identifier: Nullable(Enum(CONSUMER_IDENTIFIERS)),
        },
        { required: ['name', 'stat_type'] },
      ),
      { default: DEFAULT_METRICS },
    ),
  }),
  // Kong: a counter or a gauge needs its sample rate.
  check: (c) => {
    const errors: FieldError[] = [];
    c.metrics.forEach((m, i) => {
      if ((m.stat_type === 'counter' || m.stat_type === 'gauge') && m.sample_rate == null)
        errors.push({ path: ['metrics', i, 'sample_rate'], message: 'required field missing' });
    });
    return errors;
  },
});

export default datadogPlugin;
