import { Bool, Nullable, Rec, Str, Type } from '../../shared/schema/kong-types';
import { definePlugin } from '../../shared/plugins/definition';
import {
  HeaderNames,
  HeaderPairs,
  IfStatus,
  JsonTypes,
  Names,
  NullableNames,
  Pairs,
} from '../lib/transformer-fields';

export const responseTransformerAdvancedPlugin = definePlugin({
  name: 'response-transformer-advanced',
  version: '3.12.0',
  priority: 800,
  schema: Rec({
    remove: Rec({ headers: HeaderNames(), json: Names(), if_status: IfStatus() }, { default: {} }),
    rename: Rec({ headers: HeaderPairs(), if_status: IfStatus() }, { default: {} }),
    replace: Rec(
      {
        headers: HeaderPairs(),
        json: Pairs(),
        json_types: JsonTypes(),
        body: Nullable(Str()),
        if_status: IfStatus(),
      },
      { default: {} },
    ),
    add: Rec(
      { headers: HeaderPairs(), json: Pairs(), json_types: JsonTypes(), if_status: IfStatus() },
      { default: {} },
    ),
    append: Rec(
      { headers: HeaderPairs(), json: Pairs(), json_types: JsonTypes(), if_status: IfStatus() },
      { default: {} },
    ),
    allow: Rec({ json: NullableNames() }, { default: {} }),
    transform: Rec(
      { functions: Type.Array(Str(), { default: [] }), json: Names(), if_status: IfStatus() },
      { default: {} },
    ),
    dots_in_keys: Bool({ default: true }),
  }),
  // Lua functions cannot run here: refuse them when the config is written, not per request.
  check: (c) =>
    c.transform?.functions?.length
      ? [
          {
            path: ['transform', 'functions'],
            message: 'Lua transform functions are not supported by Tollgate',
          },
        ]
      : [],
});

export default responseTransformerAdvancedPlugin;
