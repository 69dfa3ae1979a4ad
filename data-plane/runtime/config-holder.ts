import { EventEmitter } from 'node:events';
import type { CompiledConfig } from './compiled-config';

/**
 * The one place the running config lives. Requests read `current` once at their start and
 * keep that object: a swap never changes a request in flight.
 */
export class ConfigHolder extends EventEmitter {
  current: CompiledConfig | null = null;

  swap(next: CompiledConfig) {
    this.current = next;
    this.emit('applied', next);
  }
}
