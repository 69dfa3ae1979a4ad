/** Kong's limit fields, one per fixed window: a number of requests (or calls), or null. */
import { Nullable, Num } from '../../shared/schema/kong-types';

const Limit = () => Nullable(Num({ exclusiveMinimum: 0 }));

export const periodLimits = () => ({
  second: Limit(),
  minute: Limit(),
  hour: Limit(),
  day: Limit(),
  month: Limit(),
  year: Limit(),
});
