/**
 * node:test for browser tests: where Debian's Chromium is not installed (a fresh machine outside
 * CI), every test of the file is reported skipped with the reason and how to install it, and its
 * hooks do not run; in CI a missing browser is an error.
 */
import { existsSync } from 'node:fs';
import * as nodeTest from 'node:test';
import { CHROMIUM_PATH } from './browser';

const missing = existsSync(CHROMIUM_PATH)
  ? undefined
  : `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set TOLLGATE_TEST_CHROMIUM)`;
if (missing && process.env.CI) throw new Error(`${missing}: required in CI`);

type Fn = (...args: any[]) => any;
const skipped =
  (register: Fn) =>
  (name: string, fn?: Fn): unknown =>
    register(name, { skip: missing }, fn);

export const test = (missing ? skipped(nodeTest.test) : nodeTest.test) as typeof nodeTest.test;
export const describe = (
  missing ? skipped(nodeTest.describe) : nodeTest.describe
) as typeof nodeTest.describe;
export const before = (missing ? () => undefined : nodeTest.before) as typeof nodeTest.before;
export const after = (missing ? () => undefined : nodeTest.after) as typeof nodeTest.after;
