import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The product version, from the root package.json (this file runs from dist/shared/). */
export const TOLLGATE_VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
})();

/** The Kong version whose Admin API and plugin schemas Tollgate implements (`GET /` `version`). */
export const KONG_COMPATIBLE_VERSION = '3.12.0';
