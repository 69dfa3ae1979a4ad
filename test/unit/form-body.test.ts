import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFormBody } from '../../control-plane/admin/common/form-body';

test('dotted keys nest and repeated keys make arrays', () => {
  assert.deepEqual(
    parseFormBody(
      'name=key-auth&config.key_names=apikey&config.key_names=x-key&config.hide_credentials=true',
    ),
    {
      name: 'key-auth',
      config: { key_names: ['apikey', 'x-key'], hide_credentials: 'true' },
    },
  );
});

test('bracket indices are 1-based as in Kong; [] appends', () => {
  assert.deepEqual(parseFormBody('paths[1]=/a&paths[2]=/b&tags[]=x&tags[]=y'), {
    paths: ['/a', '/b'],
    tags: ['x', 'y'],
  });
});

test('prototype keys are ignored', () => {
  const out = parseFormBody('__proto__.polluted=1&constructor.prototype.x=1&a=1');
  assert.deepEqual(out, { a: '1' });
  assert.equal(({} as any).polluted, undefined);
});
